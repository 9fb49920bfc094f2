package sqlite

import (
	"context"
	"fmt"
)

// Erased data must not stay readable in the file's bytes. SQLite normally
// only unlinks a deleted row: its bytes stay in the page (or on the free
// list) until something overwrites them, so a copy of the file would give
// back the ids, ciphertexts and file names of an erased user. Two settings
// close that:
//
//   - secure_delete=ON (writeParams) makes every delete overwrite the
//     row's bytes, and pages it frees, with zeros, in tables and indexes.
//   - In WAL mode the zeroed pages first go to the write-ahead log, while
//     the main file, and older frames of the log itself, still hold the
//     rows. afterErase checkpoints the log into the file and truncates it,
//     so both are rid of them once an erasing call returns.

// afterErase moves the committed deletions into the database file and
// empties the write-ahead log. TRUNCATE waits (through the busy handler)
// for readers still using older frames; a checkpoint that could not finish
// (busy) is reported, so the caller retries the erasure, which is
// idempotent.
func (s *Store) afterErase(ctx context.Context) error {
	var busy, logFrames, done int
	if err := s.write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("checkpoint erased data: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint erased data: log still in use (%d of %d frames copied)", done, logFrames)
	}
	return nil
}

// eraseRows runs one deleting statement in a write transaction and, when it
// deleted anything, leaves nothing of those rows in the files (afterErase).
// It returns how many rows went.
func (s *Store) eraseRows(ctx context.Context, query string, args ...any) (int64, error) {
	var deleted int64
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		deleted, err = r.RowsAffected()
		return err
	})
	if err == nil && deleted > 0 {
		err = s.afterErase(ctx)
	}
	return deleted, err
}

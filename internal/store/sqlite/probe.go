package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// writeProbeFresh is how recent a committed write must be for Ping to take
// it as proof that storage is writable instead of probing.
const writeProbeFresh = 5 * time.Second

// probeWrite proves that storage accepts writes, which a read cannot show
// (a full disk, a read-only file, a lost write lock): readiness must say so,
// or the load balancer keeps sending users to an instance that can
// acknowledge nothing.
//
// A transaction that changed rows and committed within writeProbeFresh is
// proof enough (one that changed nothing wrote nothing: background pollers
// commit those even on a full disk). This
// matters under load: the probe would queue behind real writes on the one
// write connection and could miss readiness's deadline, reporting a busy
// instance as broken. Otherwise it commits a write transaction that changes
// nothing: it rewrites the schema version (PRAGMA user_version) with its own
// value, which makes SQLite write and sync the header page like any commit.
// It runs outside writeTx.ExecContext, so it never refreshes lastCommit
// itself: the next Ping probes again.
func (s *Store) probeWrite(ctx context.Context) error {
	if last := s.lastCommit.Load(); last != 0 && time.Since(time.Unix(0, last)) < writeProbeFresh {
		return nil
	}
	return s.inWriteTx(ctx, func(tx *writeTx) error {
		var v int
		if err := tx.tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(v)); err != nil {
			return fmt.Errorf("rewrite schema version: %w", err)
		}
		return nil
	})
}

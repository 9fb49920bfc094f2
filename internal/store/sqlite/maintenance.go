package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/chat"
)

var _ chat.Maintenance = (*Store)(nil)

// Maintenance statements.
const (
	scanSessionsQuery = `SELECT ` + sessionColumns + ` FROM sessions WHERE id > ? ORDER BY id LIMIT ?`
	// replaceSealedQuery is the compare-and-swap of ReplaceSealed: the old
	// content is part of the condition.
	replaceSealedQuery = `UPDATE messages SET content = ?
		WHERE id = ? AND session_id = ? AND seq = ? AND content = ?`
	sealedAtQuery   = `SELECT content FROM messages WHERE id = ? AND session_id = ? AND seq = ?`
	messageIDAtSeq  = `SELECT id FROM messages WHERE session_id = ? AND seq = ?`
	messageSlotByID = `SELECT session_id, seq FROM messages WHERE id = ?`
)

// ScanSessions returns up to limit sessions with ID greater than afterID,
// in ascending ID order (the primary key).
func (s *Store) ScanSessions(ctx context.Context, afterID string, limit int) ([]chat.Session, error) {
	out := []chat.Session{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := s.read.QueryContext(ctx, scanSessionsQuery, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: scan sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: scan sessions: %w", err)
		}
		out = append(out, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: scan sessions: %w", err)
	}
	return out, nil
}

// ReplaceSealed swaps message m's content from m.Sealed to sealed in one
// conditional UPDATE, and reports whether the message holds sealed now.
func (s *Store) ReplaceSealed(ctx context.Context, m chat.SealedMessage, sealed []byte) (bool, error) {
	if sealed == nil {
		sealed = []byte{}
	}
	old := m.Sealed
	if old == nil {
		old = []byte{}
	}
	var holds bool
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, replaceSealedQuery, sealed, m.ID, m.SessionID, m.Seq, old)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n > 0 {
			holds = n > 0
			return err
		}
		var current []byte
		err = tx.QueryRowContext(ctx, sealedAtQuery, m.ID, m.SessionID, m.Seq).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		holds = err == nil && bytes.Equal(current, sealed)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: replace sealed content of message %s: %w", m.ID, err)
	}
	return holds, nil
}

// ImportSession inserts s with every column as given unless its id exists.
func (s *Store) ImportSession(ctx context.Context, sess chat.Session) (bool, error) {
	if sess.ID == "" || sess.UserID == "" {
		return false, fmt.Errorf("sqlite: import session: id and user id are required: %w", chat.ErrInvalid)
	}
	if sess.Owner == "" {
		sess.Owner = chat.OwnerAI
	}
	var created bool
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, insertSessionQuery,
			sess.ID, sess.UserID, sess.UserName, sess.ModelID, string(sess.Status), sess.EndReason,
			sess.LastSeq, toMillis(sess.CreatedAt), toMillis(sess.UpdatedAt), nullMillis(sess.EndedAt),
			string(sess.Owner), sess.AdminID, sess.AdminName, sess.Epoch, nullMillis(sess.HelpRequestedAt), boolInt(sess.AdminAssisted),
			nullBytes(sess.SealedTitle))
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		created = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: import session %s: %w", sess.ID, err)
	}
	return created, nil
}

// ImportMessages inserts a batch of one session's messages with their own
// seqs, in one write transaction: the batch is stored entirely or not at
// all.
func (s *Store) ImportMessages(ctx context.Context, msgs []chat.SealedMessage) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if err := checkImportBatch(msgs); err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}
	inserted := 0
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		if _, err := getSession(ctx, tx, msgs[0].SessionID); err != nil {
			return err
		}
		if first := msgs[0].Seq; first > 1 {
			var prev string
			err := tx.QueryRowContext(ctx, messageIDAtSeq, msgs[0].SessionID, first-1).Scan(&prev)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("message %d of session %q is not stored; import in seq order: %w", first-1, msgs[0].SessionID, chat.ErrInvalid)
			}
			if err != nil {
				return err
			}
		}
		for _, m := range msgs {
			stored, err := importMessage(ctx, tx, m)
			if err != nil {
				return err
			}
			if stored {
				inserted++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}
	return inserted, nil
}

// importMessage inserts m unless it is stored already (same id at the same
// seq). Another message at its seq, or with its idempotency key, is
// chat.ErrInvalid.
func importMessage(ctx context.Context, tx *writeTx, m chat.SealedMessage) (bool, error) {
	var (
		sid string
		seq int64
	)
	err := tx.QueryRowContext(ctx, messageSlotByID, m.ID).Scan(&sid, &seq)
	switch {
	case err == nil && sid == m.SessionID && seq == m.Seq:
		return false, nil
	case err == nil:
		return false, fmt.Errorf("message id %q is stored at seq %d of session %q: %w", m.ID, seq, sid, chat.ErrInvalid)
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	var other string
	err = tx.QueryRowContext(ctx, messageIDAtSeq, m.SessionID, m.Seq).Scan(&other)
	if err == nil {
		return false, fmt.Errorf("seq %d of session %q holds another message: %w", m.Seq, m.SessionID, chat.ErrInvalid)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	if _, found, err := findDuplicate(ctx, tx, m.AuthorID, m.ClientMsgID); err != nil || found {
		if err == nil {
			err = fmt.Errorf("message %s: its client message id is used by another message: %w", m.ID, chat.ErrInvalid)
		}
		return false, err
	}
	return true, insertMessage(ctx, tx, m)
}

// checkImportBatch rejects a batch that is not one session's messages in
// consecutive seq order.
func checkImportBatch(msgs []chat.SealedMessage) error {
	for i, m := range msgs {
		switch {
		case m.ID == "":
			return fmt.Errorf("message id is empty: %w", chat.ErrInvalid)
		case m.SessionID != msgs[0].SessionID:
			return fmt.Errorf("messages of sessions %q and %q in one batch: %w", msgs[0].SessionID, m.SessionID, chat.ErrInvalid)
		case m.Seq < 1:
			return fmt.Errorf("message %s has seq %d: %w", m.ID, m.Seq, chat.ErrInvalid)
		case i > 0 && m.Seq != msgs[i-1].Seq+1:
			return fmt.Errorf("seq %d follows %d: import in consecutive seq order: %w", m.Seq, msgs[i-1].Seq, chat.ErrInvalid)
		}
	}
	return nil
}

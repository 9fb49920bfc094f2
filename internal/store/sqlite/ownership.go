package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Ownership statements. Each changes only an active session and returns
// it; no row back means the session is missing, ended, or (for the owner
// change) at another epoch.
const (
	changeOwnerQuery = `UPDATE sessions
		SET owner = ?, admin_id = ?, admin_name = ?, epoch = epoch + 1,
		    admin_assisted = max(admin_assisted, ?),
		    help_requested_at = CASE WHEN ? THEN NULL ELSE help_requested_at END,
		    updated_at = max(updated_at, ?)
		WHERE id = ? AND status = 'active' AND epoch = ?
		RETURNING ` + sessionColumns
	requestHelpQuery = `UPDATE sessions
		SET help_requested_at = ?, updated_at = max(updated_at, ?)
		WHERE id = ? AND status = 'active' AND help_requested_at IS NULL
		RETURNING ` + sessionColumns
)

// ChangeOwner hands an active session to owner if its epoch is still
// expectEpoch. The epoch check and the update are one statement inside the
// write transaction, so of two concurrent changes exactly one matches.
func (s *Store) ChangeOwner(ctx context.Context, id string, expectEpoch int64, owner chat.Owner, adminID, adminName string, at time.Time) (chat.Session, error) {
	if owner != chat.OwnerAI && owner != chat.OwnerHuman {
		return chat.Session{}, fmt.Errorf("sqlite: change owner: owner %q: %w", owner, chat.ErrInvalid)
	}
	human := owner == chat.OwnerHuman
	if !human {
		adminID, adminName = "", ""
	}
	var sess chat.Session
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		var err error
		sess, err = scanSession(tx.QueryRowContext(ctx, changeOwnerQuery,
			string(owner), adminID, adminName, boolInt(human), human, toMillis(at), id, expectEpoch))
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("update session: %w", err)
		}
		if err := whyNotActive(ctx, tx, id); err != nil {
			return err
		}
		return fmt.Errorf("session %q is past epoch %d: %w", id, expectEpoch, chat.ErrConflict)
	})
	if err != nil {
		return chat.Session{}, fmt.Errorf("sqlite: change owner: %w", err)
	}
	return sess, nil
}

// RequestHelp marks a waiting help request on an active session, once.
func (s *Store) RequestHelp(ctx context.Context, id string, at time.Time) (chat.Session, bool, error) {
	var (
		sess    chat.Session
		changed bool
	)
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		var err error
		sess, err = scanSession(tx.QueryRowContext(ctx, requestHelpQuery, toMillis(at), toMillis(at), id))
		if err == nil {
			changed = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("update session: %w", err)
		}
		if err := whyNotActive(ctx, tx, id); err != nil {
			return err
		}
		sess, err = getSession(ctx, tx, id) // a request already waits
		return err
	})
	if err != nil {
		return chat.Session{}, false, fmt.Errorf("sqlite: request help: %w", err)
	}
	return sess, changed, nil
}

// boolInt stores a bool in an INTEGER column.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const (
	oweReplyQuery = `INSERT INTO owed_replies (session_id, seq, owed_at) VALUES (?, ?, ?)
		ON CONFLICT (session_id) DO UPDATE SET seq = max(seq, excluded.seq)`
	// claimReplyQuery is one statement, so of two instances claiming at
	// once exactly one sees its row updated.
	claimReplyQuery = `UPDATE owed_replies SET lease_owner = ?, lease_until = ?
		WHERE session_id = ? AND (lease_owner = ? OR lease_until <= ?)`
	settleReplyQuery  = `DELETE FROM owed_replies WHERE session_id = ? AND seq <= ?`
	releaseReplyQuery = `UPDATE owed_replies SET lease_owner = '', lease_until = 0
		WHERE session_id = ? AND lease_owner = ? RETURNING 1`
	stillOwedQuery     = `SELECT 1 FROM owed_replies WHERE session_id = ?`
	orphanedReplyQuery = `SELECT session_id FROM owed_replies
		WHERE owed_at <= ? AND lease_until <= ? ORDER BY owed_at, session_id LIMIT ?`
)

// OweReply records that the session owes a reply to user message seq.
func (s *Store) OweReply(ctx context.Context, sessionID string, seq int64, at time.Time) error {
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		if _, err := sessionUser(ctx, tx, sessionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, oweReplyQuery, sessionID, seq, toMillis(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: owe reply: %w", err)
	}
	return nil
}

// ClaimReply leases the session's owed reply to owner until until.
func (s *Store) ClaimReply(ctx context.Context, sessionID, owner string, now, until time.Time) (bool, error) {
	var n int64
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, claimReplyQuery, owner, toMillis(until), sessionID, owner, toMillis(now))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: claim reply: %w", err)
	}
	return n == 1, nil
}

// SettleReply drops the debt if answered covers it, else releases owner's
// lease on it.
func (s *Store) SettleReply(ctx context.Context, sessionID, owner string, answered int64) (bool, error) {
	owed := false
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, settleReplyQuery, sessionID, answered); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, releaseReplyQuery, sessionID, owner).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.QueryRowContext(ctx, stillOwedQuery, sessionID).Scan(&one)
		owed = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: settle reply: %w", err)
	}
	return owed, nil
}

// OrphanedReplies lists sessions owing a reply whose lease has expired.
func (s *Store) OrphanedReplies(ctx context.Context, owedBefore, now time.Time, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, orphanedReplyQuery, toMillis(owedBefore), toMillis(now), max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("sqlite: orphaned replies: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: orphaned replies: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: orphaned replies: %w", err)
	}
	return ids, nil
}

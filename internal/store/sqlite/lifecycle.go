package sqlite

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Lifecycle statements. endIdleQuery picks and ends its batch in one
// statement under the write lock, so the rows it returns are exactly the
// rows it changed: of concurrent sweepers, each session goes to one.
const (
	endIdleQuery = `UPDATE sessions
		SET status = 'ended', end_reason = ?, ended_at = ?, updated_at = max(updated_at, ?)
		WHERE id IN (SELECT id FROM sessions
			WHERE status = 'active' AND updated_at < ?
			ORDER BY updated_at, id LIMIT ?)
		RETURNING ` + sessionColumns
	endedBeforeQuery = `SELECT id FROM sessions
		WHERE status = 'ended' AND ended_at < ?
		ORDER BY ended_at, id LIMIT ?`
)

// EndIdleSessions ends up to limit active sessions last updated before
// idleBefore, least recently updated first; see chat.LifecycleStore.
func (s *Store) EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]chat.Session, error) {
	out := []chat.Session{}
	if limit <= 0 {
		return out, nil
	}
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		out = out[:0]
		rows, err := tx.tx.QueryContext(ctx, endIdleQuery,
			chat.EndByIdle, toMillis(at), toMillis(at), toMillis(idleBefore), limit)
		if err != nil {
			return fmt.Errorf("update sessions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			sess, err := scanSession(rows)
			if err != nil {
				return fmt.Errorf("read session: %w", err)
			}
			out = append(out, sess)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
	}
	return out, nil
}

// EndedBefore lists up to limit ended sessions whose EndedAt is before
// cutoff, longest ended first.
func (s *Store) EndedBefore(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	ids := []string{}
	if limit <= 0 {
		return ids, nil
	}
	rows, err := s.read.QueryContext(ctx, endedBeforeQuery, toMillis(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions ended before %s: %w", cutoff, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: sessions ended before %s: %w", cutoff, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sessions ended before %s: %w", cutoff, err)
	}
	return ids, nil
}

// DeleteSessions deletes the sessions with their messages, usage totals and
// owed replies in one transaction, so a session never outlives its
// messages or the reverse; nothing of them stays in the file (erase.go).
func (s *Store) DeleteSessions(ctx context.Context, ids []string) (int, error) {
	var deleted int64
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		deleted = 0
		for part := range chunks(ids) {
			in, args := placeholders(len(part)), anys(part)
			// Rows referencing the sessions first, then the sessions.
			for _, table := range []string{"messages", "session_usage", "owed_replies"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE session_id IN (`+in+`)`, args...); err != nil {
					return fmt.Errorf("delete %s: %w", table, err)
				}
			}
			r, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id IN (`+in+`)`, args...)
			if err != nil {
				return fmt.Errorf("delete sessions: %w", err)
			}
			n, err := r.RowsAffected()
			if err != nil {
				return fmt.Errorf("delete sessions: %w", err)
			}
			deleted += n
		}
		return nil
	})
	if err == nil && deleted > 0 {
		err = s.afterErase(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete %d sessions: %w", len(ids), err)
	}
	return int(deleted), nil
}

// maxBoundIDs bounds the ids bound to one IN (...) list, far below
// SQLite's limit on bound parameters.
const maxBoundIDs = 500

// chunks splits ids into runs of at most maxBoundIDs.
func chunks(ids []string) iter.Seq[[]string] {
	return slices.Chunk(ids, maxBoundIDs)
}

// anys converts ids to bound arguments.
func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

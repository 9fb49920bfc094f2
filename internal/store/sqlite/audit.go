package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// CountSessions counts the sessions matching q's filters.
func (s *Store) CountSessions(ctx context.Context, q chat.SessionQuery) (int, error) {
	q.Cursor = ""
	where, args, err := sessionFilter(q)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count sessions: %w", err)
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM sessions`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count sessions: %w", err)
	}
	return n, nil
}

// UsageSince sums the provider-reported tokens of messages created since.
func (s *Store) UsageSince(ctx context.Context, since time.Time) (chat.Usage, error) {
	var u chat.Usage
	err := s.read.QueryRowContext(ctx,
		`SELECT coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0) FROM messages WHERE created_at >= ?`,
		toMillis(since)).Scan(&u.InputTokens, &u.OutputTokens)
	if err != nil {
		return chat.Usage{}, fmt.Errorf("sqlite: usage: %w", err)
	}
	return u, nil
}

// AppendAudit stores one audit entry.
func (s *Store) AppendAudit(ctx context.Context, e chat.AuditEntry) error {
	if e.ID == "" || e.Action == "" {
		return fmt.Errorf("sqlite: append audit: id and action are required: %w", chat.ErrInvalid)
	}
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit (id, at, actor_id, actor_name, action, session_id, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.ID, toMillis(e.At), e.ActorID, e.ActorName, e.Action, e.SessionID, e.Detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	return nil
}

// ListAudit returns a page of audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, q chat.AuditQuery) (chat.AuditPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	if q.SessionID != "" {
		add("session_id = ?", q.SessionID)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if !q.Since.IsZero() {
		add("at >= ?", toMillis(q.Since))
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return chat.AuditPage{}, fmt.Errorf("sqlite: list audit: %w", err)
		}
		add("(at, id) < (?, ?)", c.createdAt, c.id)
	}
	query := `SELECT id, at, actor_id, actor_name, action, session_id, detail FROM audit`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return chat.AuditPage{}, fmt.Errorf("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var page chat.AuditPage
	for rows.Next() {
		if len(page.Entries) == limit {
			last := page.Entries[limit-1]
			page.NextCursor = encodeCursor(cursor{createdAt: toMillis(last.At), id: last.ID})
			break
		}
		e, err := scanAudit(rows)
		if err != nil {
			return chat.AuditPage{}, fmt.Errorf("sqlite: list audit: %w", err)
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return chat.AuditPage{}, fmt.Errorf("sqlite: list audit: %w", err)
	}
	return page, nil
}

func scanAudit(rows *sql.Rows) (chat.AuditEntry, error) {
	var (
		e  chat.AuditEntry
		at int64
	)
	if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorName, &e.Action, &e.SessionID, &e.Detail); err != nil {
		return chat.AuditEntry{}, err
	}
	e.At = fromMillis(at)
	return e, nil
}

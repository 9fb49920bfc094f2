package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// Outbox is the notification outbox (notify.Outbox) in the Store's file.
// Like the Store, it may be shared by any number of handles and processes:
// every write runs in an immediate transaction, so the duplicate check, the
// rate limit check and the inserts of one Enqueue are serialised against
// every other writer, and a Claim's select-and-lease is one statement.
type Outbox struct {
	s *Store
}

var _ notify.Outbox = (*Outbox)(nil)

// Outbox returns the Store's notification outbox. It is valid until the
// Store is closed.
func (s *Store) Outbox() *Outbox { return &Outbox{s: s} }

// notificationColumns is the column list every outbox query selects, in
// the order scanNotification reads.
const notificationColumns = `id, dedupe_key, event, channel, recipient, session_id, payload, status,
	attempts, next_attempt_at, last_error, created_at, updated_at, sent_at`

const (
	keyExistsQuery  = `SELECT 1 FROM notifications WHERE dedupe_key = ?`
	rateUntilQuery  = `SELECT until FROM notification_rate_limits WHERE scope = ?`
	rateStartQuery  = `INSERT INTO notification_rate_limits (scope, until) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET until = excluded.until`
	insertNoteQuery = `INSERT INTO notifications (id, dedupe_key, event, channel, recipient, session_id, payload, status,
		attempts, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING`
	// claimQuery leases the due rows in one statement, so the rows it picks
	// are the rows it updates: nothing can lease them in between.
	claimQuery = `UPDATE notifications
		SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = max(updated_at, ?)
		WHERE id IN (SELECT id FROM notifications
			WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
			ORDER BY next_attempt_at, id LIMIT ?)
		RETURNING ` + notificationColumns
	completeQuery = `UPDATE notifications
		SET status = 'sent', sent_at = ?, lease_owner = '', lease_until = 0, updated_at = max(updated_at, ?)
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`
	retryQuery = `UPDATE notifications
		SET next_attempt_at = ?, last_error = ?, lease_owner = '', lease_until = 0, updated_at = max(updated_at, ?)
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`
	failQuery = `UPDATE notifications
		SET status = 'failed', last_error = ?, lease_owner = '', lease_until = 0, updated_at = max(updated_at, ?)
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`
	listNotesQuery  = `SELECT ` + notificationColumns + ` FROM notifications ORDER BY created_at DESC, id DESC LIMIT ?`
	pruneNotesQuery = `DELETE FROM notifications WHERE status <> 'pending' AND updated_at < ?`
	pruneRateQuery  = `DELETE FROM notification_rate_limits WHERE until < ?`
)

// Enqueue stores a batch of notifications; see notify.Outbox.
func (o *Outbox) Enqueue(ctx context.Context, at time.Time, batch []notify.Notification, limit *notify.RateLimit) (notify.EnqueueResult, error) {
	var res notify.EnqueueResult
	err := o.s.inWriteTx(ctx, func(tx *writeTx) error {
		res = notify.EnqueueResult{}
		dups, err := countExisting(ctx, tx, batch)
		if err != nil {
			return err
		}
		if dups == len(batch) {
			res.Duplicates = dups
			return nil
		}
		if limit != nil && limit.Window > 0 {
			var until int64
			err := tx.QueryRowContext(ctx, rateUntilQuery, limit.Scope).Scan(&until)
			switch {
			case err == nil && until > toMillis(at):
				res.Limited = true
				return nil
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("read rate limit: %w", err)
			}
			if _, err := tx.ExecContext(ctx, rateStartQuery, limit.Scope, toMillis(at.Add(limit.Window))); err != nil {
				return fmt.Errorf("start rate limit window: %w", err)
			}
		}
		for _, n := range batch {
			due := n.NextAttemptAt
			if due.IsZero() {
				due = at
			}
			r, err := tx.ExecContext(ctx, insertNoteQuery, n.ID, n.Key, string(n.Event), string(n.Channel), n.Recipient,
				n.SessionID, nonNil(n.Payload), toMillis(due), toMillis(at), toMillis(at))
			if err != nil {
				return fmt.Errorf("insert %s: %w", n.ID, err)
			}
			if added, err := r.RowsAffected(); err != nil {
				return fmt.Errorf("insert %s: %w", n.ID, err)
			} else if added == 1 {
				res.Stored++
			} else {
				res.Duplicates++
			}
		}
		return nil
	})
	if err != nil {
		return notify.EnqueueResult{}, fmt.Errorf("sqlite: enqueue notifications: %w", err)
	}
	return res, nil
}

// countExisting counts the rows of batch whose key is stored already.
func countExisting(ctx context.Context, tx *writeTx, batch []notify.Notification) (int, error) {
	n := 0
	for _, note := range batch {
		var one int
		err := tx.QueryRowContext(ctx, keyExistsQuery, note.Key).Scan(&one)
		switch {
		case err == nil:
			n++
		case !errors.Is(err, sql.ErrNoRows):
			return 0, fmt.Errorf("look up dedupe key: %w", err)
		}
	}
	return n, nil
}

// nonNil stores an absent payload as an empty BLOB: a nil []byte would be
// NULL, which the NOT NULL column refuses.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Claim leases due notifications to owner; see notify.Outbox.
func (o *Outbox) Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, max int) ([]notify.Notification, error) {
	if owner == "" || max < 1 || lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim notifications: owner %q, max %d, lease %s: invalid", owner, max, lease)
	}
	var out []notify.Notification
	err := o.s.inWriteTx(ctx, func(tx *writeTx) error {
		out = out[:0]
		now := toMillis(at)
		rows, err := tx.tx.QueryContext(ctx, claimQuery, owner, toMillis(at.Add(lease)), now, now, now, max)
		if err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
	}
	// RETURNING gives no order guarantee.
	slices.SortFunc(out, func(a, b notify.Notification) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Complete marks a leased notification sent; see notify.Outbox.
func (o *Outbox) Complete(ctx context.Context, id, owner string, at time.Time) error {
	return o.settle(ctx, "complete", completeQuery, toMillis(at), toMillis(at), id, owner)
}

// Retry makes a leased notification due again at next; see notify.Outbox.
func (o *Outbox) Retry(ctx context.Context, id, owner string, at, next time.Time, reason string) error {
	return o.settle(ctx, "retry", retryQuery, toMillis(next), reason, toMillis(at), id, owner)
}

// Fail gives a leased notification up; see notify.Outbox.
func (o *Outbox) Fail(ctx context.Context, id, owner string, at time.Time, reason string) error {
	return o.settle(ctx, "fail", failQuery, reason, toMillis(at), id, owner)
}

// settle runs one of the outcome statements, which all end in
// "WHERE id = ? AND lease_owner = ? AND status = 'pending'".
func (o *Outbox) settle(ctx context.Context, op, query string, args ...any) error {
	err := o.s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notify.ErrNotLeased
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: %s notification: %w", op, err)
	}
	return nil
}

// Cancel withdraws a session's pending notifications; see notify.Outbox.
func (o *Outbox) Cancel(ctx context.Context, sessionID string, events []notify.EventType, scopes []string, at time.Time) (int, error) {
	var canceled int64
	err := o.s.inWriteTx(ctx, func(tx *writeTx) error {
		canceled = 0
		if len(events) > 0 {
			args := []any{toMillis(at), sessionID}
			for _, e := range events {
				args = append(args, string(e))
			}
			r, err := tx.ExecContext(ctx, `UPDATE notifications
				SET status = 'canceled', lease_owner = '', lease_until = 0, updated_at = max(updated_at, ?)
				WHERE session_id = ? AND status = 'pending' AND event IN (`+placeholders(len(events))+`)`, args...)
			if err != nil {
				return fmt.Errorf("cancel: %w", err)
			}
			if canceled, err = r.RowsAffected(); err != nil {
				return fmt.Errorf("cancel: %w", err)
			}
		}
		for _, scope := range scopes {
			if _, err := tx.ExecContext(ctx, `DELETE FROM notification_rate_limits WHERE scope = ?`, scope); err != nil {
				return fmt.Errorf("forget rate limit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: cancel notifications of session %q: %w", sessionID, err)
	}
	return int(canceled), nil
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// List returns the newest notifications; see notify.Outbox.
func (o *Outbox) List(ctx context.Context, limit int) ([]notify.Notification, error) {
	rows, err := o.s.read.QueryContext(ctx, listNotesQuery, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list notifications: %w", err)
	}
	defer rows.Close()
	var out []notify.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list notifications: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list notifications: %w", err)
	}
	return out, nil
}

// Prune deletes settled notifications and ended rate limit windows; see
// notify.Outbox.
func (o *Outbox) Prune(ctx context.Context, before time.Time) (int, error) {
	var deleted int64
	err := o.s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, pruneNotesQuery, toMillis(before))
		if err != nil {
			return err
		}
		if deleted, err = r.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, pruneRateQuery, toMillis(before))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune notifications: %w", err)
	}
	return int(deleted), nil
}

// scanNotification reads one row of notificationColumns.
func scanNotification(rows *sql.Rows) (notify.Notification, error) {
	var (
		n                      notify.Notification
		event, channel, status string
		next, created, updated int64
		sent                   sql.NullInt64
	)
	err := rows.Scan(&n.ID, &n.Key, &event, &channel, &n.Recipient, &n.SessionID, &n.Payload, &status,
		&n.Attempts, &next, &n.LastError, &created, &updated, &sent)
	if err != nil {
		return notify.Notification{}, fmt.Errorf("scan notification: %w", err)
	}
	n.Event, n.Channel, n.Status = notify.EventType(event), notify.Channel(channel), notify.Status(status)
	n.NextAttemptAt, n.CreatedAt, n.UpdatedAt, n.SentAt = fromMillis(next), fromMillis(created), fromMillis(updated), fromNullMillis(sent)
	return n, nil
}

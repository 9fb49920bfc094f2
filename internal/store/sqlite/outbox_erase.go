package sqlite

import (
	"context"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/notify"
)

var _ notify.SessionEraser = (*Outbox)(nil)

// EraseSessions deletes every notification of the given sessions, whatever
// its status, and the given rate limit scopes, in one transaction; see
// notify.SessionEraser. A worker holding a lease on a deleted row finds it
// gone when it reports the outcome (notify.ErrNotLeased) and drops it.
func (o *Outbox) EraseSessions(ctx context.Context, sessionIDs []string, scopes []string) (int, error) {
	var deleted int64
	err := o.s.inWriteTx(ctx, func(tx *writeTx) error {
		deleted = 0
		for ids := range chunks(sessionIDs) {
			r, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE session_id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
			if err != nil {
				return fmt.Errorf("delete notifications: %w", err)
			}
			n, err := r.RowsAffected()
			if err != nil {
				return fmt.Errorf("delete notifications: %w", err)
			}
			deleted += n
		}
		for s := range chunks(scopes) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM notification_rate_limits WHERE scope IN (`+placeholders(len(s))+`)`, anys(s)...); err != nil {
				return fmt.Errorf("delete rate limits: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		err = o.s.afterErase(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: erase notifications of %d sessions: %w", len(sessionIDs), err)
	}
	return int(deleted), nil
}

package chat

import (
	"context"
	"fmt"
)

// ApplyRetention deletes the sessions that ended longer ago than the
// retention period, a batch at a time, with their messages and whatever
// the Erasers keep for them (uploads, notifications). Active sessions are
// never deleted, however old. Running it on every instance at once is
// safe: deletion is idempotent, and each instance counts only what it
// deleted itself. It returns how many sessions this call deleted.
func (l *Lifecycle) ApplyRetention(ctx context.Context) (int, error) {
	if l.keep <= 0 {
		return 0, nil
	}
	cutoff := Millis(l.svc.now()).Add(-l.keep)
	total := 0
	for range maxBatchesPerSweep {
		ids, err := l.repo.EndedBefore(ctx, cutoff, l.batch)
		if err != nil {
			return total, fmt.Errorf("retention: list sessions ended before %s: %w", cutoff.Format("2006-01-02T15:04:05Z"), err)
		}
		if len(ids) == 0 {
			break
		}
		n, err := l.eraseAndDelete(ctx, ids)
		if err != nil {
			return total, fmt.Errorf("retention: delete %d sessions: %w", len(ids), err)
		}
		total += n
		l.deleted(DeletedByRetention, n)
		l.log.Debug("retention: batch deleted", "sessions", n, "listed", len(ids))
		if len(ids) < l.batch {
			break
		}
	}
	if total > 0 {
		l.log.Info("retention: ended sessions deleted", "sessions", total, "ended_before", cutoff, "retention", l.keep)
	}
	return total, nil
}

package chat

import (
	"context"
	"fmt"
)

// ExpireIdle ends every active session idle for longer than the idle
// timeout (reason EndByIdle) and announces each on the bus, as any other
// end: followers see the session ended, a reply still streaming stops on
// whichever instance generates it, and a user writing to it afterwards is
// told it ended (ErrSessionEnded) and starts a new one. Storage picks
// exactly one caller per session, so with every instance sweeping each
// session is ended, announced and counted once. It returns how many
// sessions this call ended.
func (l *Lifecycle) ExpireIdle(ctx context.Context) (int, error) {
	if l.idle <= 0 {
		return 0, nil
	}
	now := Millis(l.svc.now())
	idleBefore := now.Add(-l.idle)
	total := 0
	for range maxBatchesPerSweep {
		ended, err := l.repo.EndIdleSessions(ctx, idleBefore, now, l.batch)
		for _, s := range ended {
			l.svc.announce(s, FeedSessionEnded)
		}
		total += len(ended)
		if err != nil {
			return total, fmt.Errorf("expire idle sessions: %w", err)
		}
		if len(ended) < l.batch {
			break
		}
	}
	if total > 0 {
		l.log.Info("idle sessions ended", "sessions", total, "idle_timeout", l.idle)
	}
	return total, nil
}

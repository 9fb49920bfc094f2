package metrics

import (
	"context"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// EndIdleSessions counts the sessions this call ended as
// chatbox_sessions_ended_total{reason="idle"}: storage hands each idle
// session to exactly one caller, so the sum across instances counts each
// once, as EndSession does for the other reasons.
func (r *repository) EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]chat.Session, error) {
	ended, err := r.Repository.EndIdleSessions(ctx, idleBefore, at, limit)
	if n := len(ended); n > 0 {
		r.m.SessionsEnded.WithLabelValues(chat.EndByIdle).Add(float64(n))
	}
	return ended, err
}

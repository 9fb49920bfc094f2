package server

import (
	"context"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/notify"
)

// openLifecycle builds the data lifecycle (idle expiry, retention, export,
// erasure) on the service, with an Eraser for every store beside the chat
// repository, and makes this instance close the sockets of users whose
// data is erased, whichever instance erases it.
func (a *App) openLifecycle() error {
	erasers, err := a.erasers()
	if err != nil {
		return err
	}
	cfg := a.cfg.Lifecycle
	a.lifecycle, err = chat.NewLifecycle(a.svc, chat.LifecycleConfig{
		IdleTimeout: cfg.IdleTimeout,
		Retention:   cfg.Retention(),
		Erasers:     erasers,
		Deleted: func(reason string, n int) {
			a.metrics.SessionsDeleted.WithLabelValues(reason).Add(float64(n))
		},
		Uploads:             a.uploads,
		UnattachedUploadTTL: a.cfg.Uploads.UnattachedTTL,
	})
	if err != nil {
		return fmt.Errorf("data lifecycle: %w", err)
	}
	unsubscribe, err := a.bus.Subscribe(chat.UserControl, a.userControl)
	if err != nil {
		return fmt.Errorf("data lifecycle: follow erasures: %w", err)
	}
	a.closers = append(a.closers, unsubscribe)
	a.log.Info("data lifecycle configured", "session_idle_timeout", cfg.IdleTimeout,
		"retention_days", cfg.RetentionDays, "sweep_interval", cfg.SweepInterval,
		"upload_unattached_ttl", a.cfg.Uploads.UnattachedTTL)
	return nil
}

// erasers lists what removes a user's or a session's data outside the
// chat repository: queued notifications and uploaded files.
func (a *App) erasers() ([]chat.Eraser, error) {
	notes, err := notify.NewEraser(a.outbox)
	if err != nil {
		return nil, fmt.Errorf("data lifecycle: %w", err)
	}
	return []chat.Eraser{notes, a.uploads}, nil
}

// userControl handles events about users: an erased user's sockets on
// this instance are closed.
func (a *App) userControl(ev chat.Event) {
	if ev.Type != chat.EventUserErased || ev.Session == nil || ev.Session.UserID == "" {
		return
	}
	if n := a.ws.CloseUser(ev.Session.UserID); n > 0 {
		a.log.Info("closed the connections of an erased user", "user_id", ev.Session.UserID, "connections", n)
	}
}

// startLifecycle runs the sweeper (idle expiry, retention) until Close.
// Every instance runs one: storage makes sure each session is handled
// once.
func (a *App) startLifecycle() {
	a.runUntilClose(func(ctx context.Context) { a.lifecycle.Run(ctx, a.cfg.Lifecycle.SweepInterval) })
}

// Lifecycle is the instance's data lifecycle; tests drive its sweeps
// directly instead of waiting for the timer.
func (a *App) Lifecycle() *chat.Lifecycle { return a.lifecycle }

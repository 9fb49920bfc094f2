package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Lifecycle defaults.
const (
	// DefaultLifecycleBatch is how many sessions one storage call of the
	// lifecycle ends or deletes: small enough that no call holds storage
	// for long, large enough that a backlog clears in a few calls.
	DefaultLifecycleBatch = 100
	// maxBatchesPerSweep bounds one sweep's work; a larger backlog is
	// finished by the next sweeps, and a sweep always ends.
	maxBatchesPerSweep = 50
)

// Reasons sessions are deleted, passed to LifecycleConfig.Deleted.
const (
	DeletedByRetention = "retention" // ended longer ago than the retention period
	DeletedByRequest   = "request"   // the user's data was erased on request
)

// LifecycleConfig is what a Lifecycle is built from. Zero durations turn
// their feature off.
type LifecycleConfig struct {
	// IdleTimeout ends an active session with no message or state change
	// for this long (reason EndByIdle); 0: sessions never expire.
	IdleTimeout time.Duration
	// Retention deletes ended sessions, with everything kept for them,
	// once they ended longer ago than this; 0: kept until erased.
	Retention time.Duration
	// Erasers remove what other components keep for users and sessions
	// (uploads, notifications); they run before sessions are deleted.
	Erasers []Eraser
	// BatchSize is how many sessions one storage call handles; default
	// DefaultLifecycleBatch.
	BatchSize int
	// Deleted, if set, is told how many sessions were deleted and why
	// (DeletedByRetention or DeletedByRequest), for metrics. It must not
	// block.
	Deleted func(reason string, sessions int)
	// Uploads, with UnattachedUploadTTL above 0, has every sweep delete
	// the uploads never sent in a message and older than that
	// (Uploads.ExpireUnattached).
	Uploads             *Uploads
	UnattachedUploadTTL time.Duration
}

// Lifecycle ends sessions nobody uses, deletes data past its retention and
// serves users' requests to export or erase their data. Every part of it
// is safe to run on any number of instances at once: storage decides who
// ends a session (see LifecycleStore) and deletion is idempotent.
type Lifecycle struct {
	svc     *Service
	repo    Repository
	log     *slog.Logger
	idle    time.Duration
	keep    time.Duration
	erasers []Eraser
	batch   int
	deleted func(reason string, sessions int)
	uploads *Uploads
	fileTTL time.Duration
}

// NewLifecycle builds the lifecycle of svc's sessions.
func NewLifecycle(svc *Service, cfg LifecycleConfig) (*Lifecycle, error) {
	if svc == nil {
		return nil, errors.New("chat: lifecycle needs a service")
	}
	if cfg.IdleTimeout < 0 || cfg.Retention < 0 || cfg.UnattachedUploadTTL < 0 {
		return nil, errors.New("chat: lifecycle durations must not be negative")
	}
	for i, e := range cfg.Erasers {
		if e == nil {
			return nil, fmt.Errorf("chat: lifecycle eraser %d is nil", i)
		}
	}
	l := &Lifecycle{
		svc: svc, repo: svc.repo, log: svc.log,
		idle: cfg.IdleTimeout, keep: cfg.Retention,
		erasers: cfg.Erasers, batch: cfg.BatchSize, deleted: cfg.Deleted,
		uploads: cfg.Uploads, fileTTL: cfg.UnattachedUploadTTL,
	}
	if l.batch <= 0 {
		l.batch = DefaultLifecycleBatch
	}
	if l.deleted == nil {
		l.deleted = func(string, int) {}
	}
	return l, nil
}

// Run sweeps (see Sweep) every interval until ctx ends. The first sweep
// comes one interval after start, so instances starting together do not
// all sweep at once, and a test can drive sweeps itself.
func (l *Lifecycle) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.Sweep(ctx)
	}
}

// Sweep ends idle sessions, deletes sessions past their retention and
// uploads never sent. Failures are logged, not returned: the next sweep
// retries, and storage still holds everything a failed sweep did not
// finish.
func (l *Lifecycle) Sweep(ctx context.Context) {
	if _, err := l.ExpireIdle(ctx); err != nil && ctx.Err() == nil {
		l.log.Warn("idle session expiry failed; the next sweep retries", "err", err)
	}
	if _, err := l.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
		l.log.Warn("retention sweep failed; the next sweep retries", "err", err)
	}
	if _, err := l.ExpireUploads(ctx); err != nil && ctx.Err() == nil {
		l.log.Warn("unattached upload expiry failed; the next sweep retries", "err", err)
	}
}

// ExpireUploads deletes uploads never sent in a message and older than
// the configured time, a batch at a time, and returns how many this call
// deleted; see Uploads.ExpireUnattached.
func (l *Lifecycle) ExpireUploads(ctx context.Context) (int, error) {
	if l.uploads == nil || l.fileTTL <= 0 {
		return 0, nil
	}
	cutoff := l.svc.now().Add(-l.fileTTL)
	total := 0
	for range maxBatchesPerSweep {
		n, err := l.uploads.ExpireUnattached(ctx, cutoff, l.batch)
		total += n
		if err != nil || n < l.batch {
			return total, err
		}
	}
	return total, nil
}

// eraseAndDelete runs every Eraser on ids and then deletes the sessions
// themselves, returning how many this call deleted. A session is deleted
// only after every Eraser succeeded, so a failure leaves it listed for the
// next attempt.
func (l *Lifecycle) eraseAndDelete(ctx context.Context, ids []string) (int, error) {
	for _, e := range l.erasers {
		if err := e.EraseSessions(ctx, ids); err != nil {
			return 0, err
		}
	}
	return l.repo.DeleteSessions(ctx, ids)
}

package notify

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Worker sends due notifications from the outbox. Any number of workers,
// in any number of instances, may run against one outbox: each claims rows
// under its own lease, so every row is sent by one of them.
type Worker struct {
	n     *Notifier
	owner string
	// stopping ends the loop after the batch in progress; cancel aborts
	// that batch's sends.
	stopping chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

// Start runs a worker until Stop. It also runs the storage check, if
// Options.StorageCheck is set.
func (n *Notifier) Start() *Worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{
		n: n, owner: "worker-" + uuid.NewString(),
		stopping: make(chan struct{}), cancel: cancel, done: make(chan struct{}),
	}
	var wg sync.WaitGroup
	wg.Go(func() { w.loop(ctx) })
	if n.opts.StorageCheck != nil {
		wg.Go(func() { w.watchStorage(ctx) })
	}
	go func() {
		wg.Wait()
		close(w.done)
	}()
	return w
}

// Stop stops claiming, lets sends in progress finish until ctx ends, then
// aborts them (their rows are retried later, by this or another instance)
// and waits for the worker to return.
func (w *Worker) Stop(ctx context.Context) {
	w.stopOnce.Do(func() { close(w.stopping) })
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
	}
	w.cancel()
}

// loop claims and sends until stopped. It sleeps PollInterval when
// nothing is due, unless Notify wakes it.
func (w *Worker) loop(ctx context.Context) {
	n := w.n
	timer := time.NewTimer(0)
	defer timer.Stop()
	nextPrune := n.now()
	for {
		select {
		case <-w.stopping:
			return
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-n.wake:
		}
		full := w.runBatch(ctx)
		if now := n.now(); !now.Before(nextPrune) {
			w.prune(ctx, now)
			nextPrune = now.Add(time.Hour)
		}
		wait := n.opts.PollInterval
		if full {
			wait = 0 // more may be due: go on at once
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// runBatch claims due rows and sends them concurrently. It reports whether
// the batch was full.
func (w *Worker) runBatch(ctx context.Context) bool {
	n := w.n
	rows, err := n.outbox.Claim(ctx, w.owner, n.now(), n.opts.Lease, n.opts.BatchSize)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Error("notification worker cannot read the outbox", "err", err)
		}
		return false
	}
	var wg sync.WaitGroup
	for _, row := range rows {
		wg.Go(func() { w.send(ctx, row) })
	}
	wg.Wait()
	return len(rows) == n.opts.BatchSize
}

// send makes one attempt at row and records its outcome.
func (w *Worker) send(ctx context.Context, row Notification) {
	n := w.n
	log := n.log.With("notification_id", row.ID, "event", row.Event, "channel", row.Channel,
		"to", row.Recipient, "session_id", row.SessionID, "attempt", row.Attempts)
	e, err := openEvent(n.sealer, row.ID, row.Payload)
	if err != nil {
		err = Permanent(err) // a key that cannot open it now never will
	} else {
		err = n.deliver(ctx, row, e)
	}
	// The outcome is recorded even if Stop is aborting sends: a row left
	// leased would wait out its lease for nothing.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := n.now()
	var settleErr error
	switch {
	case err == nil:
		settleErr = n.outbox.Complete(settleCtx, row.ID, w.owner, now)
		if settleErr == nil {
			n.count(row.Channel, ResultSent)
			log.Info("notification sent")
		}
	case IsPermanent(err) || row.Attempts >= n.opts.Retry.MaxAttempts:
		reason := errText(err)
		settleErr = n.outbox.Fail(settleCtx, row.ID, w.owner, now, reason)
		if settleErr == nil {
			n.count(row.Channel, ResultFailed)
			log.Error("notification failed; giving up", "reason", reason, "permanent", IsPermanent(err))
		}
	default:
		reason := errText(err)
		next := now.Add(n.backoff(row.Attempts, retryHint(err)))
		settleErr = n.outbox.Retry(settleCtx, row.ID, w.owner, now, next, reason)
		if settleErr == nil {
			n.count(row.Channel, ResultRetry)
			log.Warn("notification send failed; will retry", "reason", reason, "next_attempt_at", next)
		}
	}
	switch {
	case errors.Is(settleErr, ErrNotLeased):
		// Canceled meanwhile (the help request was answered), or the lease
		// ran out and another worker owns the row now.
		log.Info("notification outcome dropped: no longer leased to this worker", "send_err", err)
	case settleErr != nil:
		log.Error("notification outcome not recorded; it will be retried when its lease ends", "err", settleErr, "send_err", err)
	}
}

// backoff is the wait before the attempt after attempt number attempts:
// Base*2^(attempts-1) with jitter, at most Max, and at least what the
// service asked for (hint), which may exceed Max up to an hour.
func (n *Notifier) backoff(attempts int, hint time.Duration) time.Duration {
	r := n.opts.Retry
	d := r.Base
	for i := 1; i < attempts && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(max(d, hint), max(r.Max, time.Hour))
}

// errText is the stored and logged reason of a failure, bounded in size.
func errText(err error) string { return clip(oneLine(err.Error(), 500), 500) }

// prune deletes settled rows older than the retention.
func (w *Worker) prune(ctx context.Context, now time.Time) {
	n := w.n
	deleted, err := n.outbox.Prune(ctx, now.Add(-n.opts.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		n.log.Warn("notification outbox prune failed", "err", err)
	case deleted > 0:
		n.log.Debug("notification outbox pruned", "deleted", deleted)
	}
}

// watchStorage runs Options.StorageCheck and alerts when it keeps failing.
func (w *Worker) watchStorage(ctx context.Context) {
	n := w.n
	d := NewOutageDetector(n.settings.StorageUnreachableAfter, n.now, n.StorageUnreachable, n.log)
	ticker := time.NewTicker(n.opts.StorageCheckEvery)
	defer ticker.Stop()
	for {
		select {
		case <-w.stopping:
			return
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		checkCtx, cancel := context.WithTimeout(ctx, n.opts.StorageCheckEvery)
		err := n.opts.StorageCheck(checkCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		d.Observe(ctx, err)
	}
}

package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// OutageDetector turns a stream of successes and failures of one dependency
// into at most one alert per outage: it reports once the dependency has
// failed, without a single success, for the threshold, and re-arms on the
// next success. It is safe for concurrent use.
//
// Each instance runs its own detectors; the outbox's rate limit (and its
// dedupe) keeps several instances noticing the same outage down to one
// alert.
type OutageDetector struct {
	threshold time.Duration
	now       func() time.Time
	report    func(ctx context.Context, since time.Time, detail string) error
	log       *slog.Logger

	mu       sync.Mutex
	since    time.Time // start of the current run of failures; zero while healthy
	reported bool      // this run has been reported
}

// NewOutageDetector returns a detector calling report when failures have
// lasted threshold.
func NewOutageDetector(threshold time.Duration, now func() time.Time,
	report func(ctx context.Context, since time.Time, detail string) error, log *slog.Logger) *OutageDetector {
	return &OutageDetector{threshold: threshold, now: now, report: report, log: log}
}

// LLMDetector returns a detector for LLM requests that raises LLMAllFailing
// after Settings.LLMFailingAfter. Feed it every completion's outcome (but
// not cancellations by the caller); one detector serves all providers, so
// it fires only when no provider answers.
func (n *Notifier) LLMDetector() *OutageDetector {
	return NewOutageDetector(n.settings.LLMFailingAfter, n.now, n.LLMAllFailing, n.log)
}

// Observe records one outcome: err nil for a success.
func (d *OutageDetector) Observe(ctx context.Context, err error) {
	now := d.now()
	d.mu.Lock()
	if err == nil {
		recovered := d.reported
		d.since, d.reported = time.Time{}, false
		d.mu.Unlock()
		if recovered {
			d.log.Info("outage over: the dependency answers again")
		}
		return
	}
	if d.since.IsZero() {
		d.since = now
	}
	fire := !d.reported && now.Sub(d.since) >= d.threshold
	d.reported = d.reported || fire
	since := d.since
	d.mu.Unlock()
	if !fire {
		return
	}
	// The alert outlives a request that is about to end.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if rerr := d.report(ctx, since, errText(err)); rerr != nil {
		d.log.Error("outage alert could not be raised", "since", since, "err", rerr)
	}
}

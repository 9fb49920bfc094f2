package loadtest

import (
	"context"
	"time"
)

// Memory is read once it has settled: garbage from setting up thousands
// of connections is collected and returned to the OS over a few GC cycles
// and scavenger passes, and a single reading right after setup would
// charge it to the idle connections.
const (
	settlePoll    = time.Second
	settleSamples = 5                // readings that must agree
	settleSpread  = 0.005            // within 0.5% of each other
	settleMax     = 45 * time.Second // at the usual poll
	// gcWaitMax is how long to wait for the server's next GC cycle: an
	// idle Go program is forced to collect at least every two minutes.
	gcWaitMax = 150 * time.Second
)

// Names of the Go runtime's metrics the harness reads.
const (
	metricGCCount    = "go_gc_duration_seconds_count"
	metricHeapInuse  = "go_memstats_heap_inuse_bytes"
	metricStackInuse = "go_memstats_stack_inuse_bytes"
	metricGoroutines = "go_goroutines"
)

// settle polls the target's usage every poll until settleSamples
// consecutive readings agree within settleSpread, or settleMax passes; it
// returns the last reading and how long it waited.
func settle(ctx context.Context, t *target, poll time.Duration) (usage, time.Duration, error) {
	start := time.Now()
	var window []int64
	for {
		u, err := t.probe.read(ctx)
		if err != nil {
			return usage{}, 0, err
		}
		window = append(window, u.RSS)
		if len(window) > settleSamples {
			window = window[1:]
		}
		if len(window) == settleSamples && spread(window) <= settleSpread || time.Since(start) >= settleMax*poll/settlePoll {
			return u, time.Since(start), nil
		}
		if !sleepUntil(ctx, time.Now().Add(poll)) {
			return usage{}, 0, ctx.Err()
		}
	}
}

// awaitGC waits until the target has completed a GC cycle more than gcs,
// or limit passes, polling every poll; it reports whether one happened. A
// target without runtime metrics cannot say, and is not waited for.
func awaitGC(ctx context.Context, t *target, gcs float64, poll, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		m := runtimeStats(ctx, t)
		if m == nil {
			return false
		}
		if m[metricGCCount] > gcs {
			return true
		}
		if !sleepUntil(ctx, time.Now().Add(poll)) {
			return false
		}
	}
	return false
}

// spread is (max-min)/max of positive values.
func spread(v []int64) float64 {
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	if hi <= 0 {
		return 0
	}
	return float64(hi-lo) / float64(hi)
}

// runtimeStats reads the Go runtime's view of a server's memory from its
// metrics, to say where the RSS goes; nil for a target without metrics.
func runtimeStats(ctx context.Context, t *target) map[string]float64 {
	if t.metrics == "" {
		return nil
	}
	m, err := probe{metricsURL: t.metrics, http: t.probe.http}.scrape(ctx)
	if err != nil {
		return nil
	}
	return m
}

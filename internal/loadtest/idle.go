package loadtest

import (
	"context"
	"fmt"
	"time"
)

// runIdle connects Connections clients, each authenticated with one open
// session, lets them sit idle, and reports the server's memory per
// connection once it has settled.
func (e *runEnv) runIdle(ctx context.Context, t *target) (*Result, error) {
	before, _, err := settle(ctx, t, e.cfg.settlePoll)
	if err != nil {
		return nil, err
	}
	rtBefore := runtimeStats(ctx, t)
	d, err := newDialer(t.wsURL)
	if err != nil {
		return nil, err
	}
	tl := newTally()
	clients, err := e.newClients(t, e.cfg.Connections, "idle", tl)
	if err != nil {
		return nil, err
	}
	e.logf("%s: connecting %d clients, one session each", t.name, len(clients))
	cr := e.startCrew(ctx, d, clients, func(c *client, _ int, ok bool) {
		if ok {
			// Idle, but reading: that answers the server's pings and
			// counts anything it sends unasked.
			_ = c.readUntil(time.Now().Add(MaxDuration), func(frame) bool { return false })
		}
	})
	cr.ready.Wait()
	if err := ctx.Err(); err != nil {
		cr.finish()
		return nil, fmt.Errorf("loadtest: idle setup: %w", err)
	}
	idle := int(tl.replies.Load())
	if e.cfg.NoSession {
		idle = int(tl.connect.Count())
	}
	e.logf("%s: %d clients idle; waiting for memory to settle", t.name, idle)
	mem, err := e.idleMemory(ctx, t, idle, before, rtBefore)
	if err == nil && e.cfg.Hold > 0 {
		e.logf("%s: measured; holding the connections for %s", t.name, e.cfg.Hold)
		sleepUntil(ctx, time.Now().Add(e.cfg.Hold))
	}
	cr.finish()
	if err != nil {
		return nil, err
	}
	return &Result{
		Target:  t.name,
		Connect: ConnectResult{Attempted: len(clients), Connected: int(tl.connect.Count()), Time: tl.connect.Summary()},
		Memory:  mem,
		Errors:  tl.errorCounts(),
	}, nil
}

// idleMemory measures the server's memory per idle connection: once it is
// stable right after setup, then again after the server's next GC cycle
// (an idle Go server runs one at least every two minutes), which is the
// state it stays in. The second reading is the one reported per
// connection; the first is kept to show how much was garbage.
func (e *runEnv) idleMemory(ctx context.Context, t *target, n int, before usage, rtBefore map[string]float64) (*MemoryResult, error) {
	start := time.Now()
	first, _, err := settle(ctx, t, e.cfg.settlePoll)
	if err != nil {
		return nil, err
	}
	mem := &MemoryResult{Connections: n, RSSBeforeMiB: mib(before.RSS)}
	per := func(a, b float64) float64 { return (b - a) / float64(max(n, 1)) }
	mem.RSSPerConnSettledKiB = per(float64(before.RSS), float64(first.RSS)) / 1024
	after := first
	if rt := runtimeStats(ctx, t); rt != nil {
		e.logf("%s: %.1f KiB per connection right after setup; waiting for a GC cycle", t.name, mem.RSSPerConnSettledKiB)
		mem.AfterGC = awaitGC(ctx, t, rt[metricGCCount], e.cfg.settlePoll, e.cfg.gcWait)
		if after, _, err = settle(ctx, t, e.cfg.settlePoll); err != nil {
			return nil, err
		}
	}
	mem.SettledS = time.Since(start).Seconds()
	mem.RSSAfterMiB = mib(after.RSS)
	mem.RSSPerConnKiB = per(float64(before.RSS), float64(after.RSS)) / 1024
	if rtAfter := runtimeStats(ctx, t); rtBefore != nil && rtAfter != nil {
		mem.HeapPerConnKiB = per(rtBefore[metricHeapInuse], rtAfter[metricHeapInuse]) / 1024
		mem.StackPerConnKiB = per(rtBefore[metricStackInuse], rtAfter[metricStackInuse]) / 1024
		mem.GoroutinesPer = per(rtBefore[metricGoroutines], rtAfter[metricGoroutines])
	}
	return mem, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

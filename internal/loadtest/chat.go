package loadtest

import (
	"context"
	"fmt"
	"time"
)

// replySlack is how much longer than its nominal streaming time a reply
// may take before the harness gives up on it (and counts a timeout).
const replySlack = time.Minute

// chatLoad is a running chat scenario: its clients each send a message
// every Interval for Duration and read the streamed replies.
type chatLoad struct {
	e       *runEnv
	t       *target
	setup   *tally // opening the sessions
	run     *tally // the measured window
	crew    *crew
	start   chan struct{}
	t0, end time.Time // set before start is closed
}

// startChat connects the clients and opens their sessions; the load
// begins with begin.
func (e *runEnv) startChat(ctx context.Context, t *target, sessions int) (*chatLoad, error) {
	d, err := newDialer(t.wsURL)
	if err != nil {
		return nil, err
	}
	l := &chatLoad{e: e, t: t, setup: newTally(), run: newTally(), start: make(chan struct{})}
	clients, err := e.newClients(t, sessions, "chat", l.setup)
	if err != nil {
		return nil, err
	}
	shape := replyShape{Tokens: e.cfg.TokensPerReply, Rate: e.cfg.TokensPerSecond}
	e.logf("%s: connecting %d clients, one session each", t.name, sessions)
	l.crew = e.startCrew(ctx, d, clients, func(c *client, i int, ok bool) {
		if !ok {
			return
		}
		select {
		case <-l.start:
		case <-ctx.Done():
			return
		}
		c.t, c.measureTokens = l.run, true
		// Spread the first messages over one interval, as real users
		// would be, instead of a thundering herd at t0.
		next := l.t0.Add(e.cfg.Interval * time.Duration(i) / time.Duration(len(clients)))
		for sleepUntil(ctx, next) && time.Now().Before(l.end) {
			if c.ask(shape) != nil {
				return
			}
			if c.readUntil(time.Now().Add(shape.duration()+replySlack), c.replied) != nil {
				return
			}
			next = c.sentAt.Add(e.cfg.Interval)
		}
	})
	l.crew.ready.Wait()
	if err := ctx.Err(); err != nil {
		l.crew.finish()
		return nil, fmt.Errorf("loadtest: chat setup: %w", err)
	}
	return l, nil
}

// measure runs the load for Duration (plus the replies still streaming at
// its end) and reports it.
func (l *chatLoad) measure(ctx context.Context) (*Result, error) {
	defer l.crew.finish()
	u0, err := l.t.probe.read(ctx)
	if err != nil {
		return nil, err
	}
	split0 := readCPUSplit(u0.CPU)
	l.t0 = time.Now()
	l.end = l.t0.Add(l.e.cfg.Duration)
	l.e.logf("%s: %d sessions open; chatting for %s", l.t.name, l.setup.replies.Load(), l.e.cfg.Duration)
	close(l.start)
	l.crew.done.Wait()
	wall := time.Since(l.t0)
	u1, err := l.t.probe.read(ctx)
	if err != nil {
		return nil, err
	}
	cpu := (u1.CPU - u0.CPU).Seconds()
	harness, others := split0.cores(readCPUSplit(u1.CPU), wall)
	r := l.run
	chat := &ChatResult{
		Sessions:           int(l.setup.replies.Load()),
		WallS:              wall.Seconds(),
		Replies:            r.replies.Load(),
		TokensDelivered:    r.tokens.Load(),
		MergedDeltas:       r.merged.Load(),
		FirstToken:         r.firstToken.Summary(),
		TokenLatency:       r.tokenLatency.Summary(),
		ServerCPUS:         cpu,
		HarnessCores:       harness,
		OtherCores:         others,
		Persisted:          r.persisted.Load(),
		PersistedPerSecond: float64(r.persisted.Load()) / wall.Seconds(),
		Lost:               r.lost.Load(),
		Duplicated:         r.duplicated.Load(),
		Corrupt:            r.corrupt.Load(),
	}
	if chat.TokensDelivered > 0 {
		chat.CPUPer1000Tokens = cpu / float64(chat.TokensDelivered) * 1000
	}
	return &Result{
		Target:  l.t.name,
		Connect: ConnectResult{Attempted: len(l.crew.clients), Connected: int(l.setup.connect.Count()), Time: l.setup.connect.Summary()},
		Chat:    chat,
		Errors:  mergeCounts(l.setup.errorCounts(), r.errorCounts()),
	}, nil
}

// runChat is the chat scenario.
func (e *runEnv) runChat(ctx context.Context, t *target) (*Result, error) {
	l, err := e.startChat(ctx, t, e.cfg.Sessions)
	if err != nil {
		return nil, err
	}
	return l.measure(ctx)
}

func mergeCounts(a, b map[string]int) map[string]int {
	for k, v := range b {
		a[k] += v
	}
	return a
}

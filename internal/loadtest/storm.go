package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// runStorm is the storm scenario, a mass reconnect as after a rolling
// restart: Connections clients each open a session; a fraction InFlight
// of them ask a question whose reply is still streaming when every client
// drops its connection at once (no close handshake). Then all reconnect at
// the same moment and resume: the clients with a reply in flight from the
// last seq they saw, the others from one seq earlier, so their last
// message is replayed from storage. Each checks that every message arrives
// exactly once and in order, and that a reply's stored text is what
// streamed.
func (e *runEnv) runStorm(ctx context.Context, t *target) (*Result, error) {
	d, err := newDialer(t.wsURL)
	if err != nil {
		return nil, err
	}
	setup, run := newTally(), newTally()
	clients, err := e.newClients(t, e.cfg.Connections, "storm", setup)
	if err != nil {
		return nil, err
	}
	inFlight := int(e.cfg.InFlight * float64(len(clients)))
	shape := replyShape{Tokens: e.cfg.TokensPerReply, Rate: e.cfg.TokensPerSecond}

	var (
		armed, dropped, resumed sync.WaitGroup
		setUp                   = make(chan struct{})
		drop                    = make(chan struct{})
		reconnect               = make(chan struct{})
		t0                      time.Time // set before reconnect is closed
		lastResumed             atomic.Int64
		resumedCount            atomic.Int64
		completed               atomic.Int64 // replies in flight that arrived whole
	)
	armed.Add(len(clients))
	dropped.Add(len(clients))
	resumed.Add(len(clients))
	e.logf("%s: connecting %d clients, one session each", t.name, len(clients))
	cr := e.startCrew(ctx, d, clients, func(c *client, i int, ok bool) {
		<-setUp
		ok = ok && (i >= inFlight || armReply(c, shape))
		armed.Done()
		<-drop
		if ok {
			c.drop()
		}
		dropped.Done()
		<-reconnect
		if !ok || ctx.Err() != nil {
			resumed.Done()
			return
		}
		c.t = run
		start := time.Now()
		ok = resumeSession(ctx, d, c, i >= inFlight)
		if ok {
			run.resume.Record(time.Since(start))
			resumedCount.Add(1)
			storeMax(&lastResumed, time.Since(t0))
		}
		resumed.Done()
		if ok && i < inFlight && !c.answered {
			_ = c.readUntil(time.Now().Add(shape.duration()+replySlack), c.replied)
		}
		if ok && i < inFlight && c.answered {
			completed.Add(1)
		}
	})
	cr.ready.Wait()
	e.logf("%s: %d sessions open; %d asking for a reply to cut", t.name, setup.replies.Load(), inFlight)
	close(setUp)
	armed.Wait()
	e.logf("%s: dropping every connection at once", t.name)
	close(drop)
	dropped.Wait()
	t0 = time.Now()
	close(reconnect)
	resumed.Wait()
	e.logf("%s: %d of %d resumed in %s; waiting for the replies in flight", t.name,
		resumedCount.Load(), len(clients), time.Duration(lastResumed.Load()))
	cr.done.Wait()
	cr.finish()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("loadtest: storm: %w", err)
	}
	return &Result{
		Target:  t.name,
		Connect: ConnectResult{Attempted: len(clients), Connected: int(setup.connect.Count()), Time: setup.connect.Summary()},
		Storm: &StormResult{
			Clients:          len(clients),
			InFlight:         inFlight,
			Resumed:          int(resumedCount.Load()),
			AllResumedS:      time.Duration(lastResumed.Load()).Seconds(),
			ResumeTime:       run.resume.Summary(),
			RepliesCompleted: completed.Load(),
			Lost:             setup.lost.Load() + run.lost.Load(),
			Duplicated:       setup.duplicated.Load() + run.duplicated.Load(),
			Corrupt:          setup.corrupt.Load() + run.corrupt.Load(),
		},
		Errors: mergeCounts(setup.errorCounts(), run.errorCounts()),
	}, nil
}

// armReply asks for a long reply and waits for its first token, so the
// reply is streaming when the connection drops.
func armReply(c *client, shape replyShape) bool {
	if c.ask(shape) != nil {
		return false
	}
	err := c.readUntil(time.Now().Add(opLimit), func(f frame) bool {
		return (f.Type == "ai_response" && !f.Done && c.askSeq > 0) || c.replied(f)
	})
	return err == nil
}

// resumeSession reconnects and resumes; replay asks for the last message
// again, from storage.
func resumeSession(ctx context.Context, d *dialer, c *client, replay bool) bool {
	if c.connect(ctx, d, nil) != nil {
		return false
	}
	from := c.lastSeq
	if replay {
		from = max(from-1, 0)
	}
	if c.resume(from) != nil {
		return false
	}
	err := c.readUntil(time.Now().Add(opLimit), func(f frame) bool {
		return f.Type == "resumed" && f.SessionID == c.session
	})
	return err == nil
}

// storeMax raises v to d if d is larger.
func storeMax(v *atomic.Int64, d time.Duration) {
	for {
		cur := v.Load()
		if int64(d) <= cur || v.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

package loadtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chatboxhq/chatbox/internal/auth"
)

// setupReply is the reply that opens every client's session: one token, at
// once, so setting up thousands of sessions is quick.
var setupReply = replyShape{Tokens: 1}

// opLimit bounds one request/reply exchange during setup.
const opLimit = 2 * time.Minute

// crew is a scenario's clients, one goroutine each. Every goroutine first
// connects and opens its session (at most DialConcurrency at a time), then
// runs the scenario's script, which synchronises with the coordinator
// through channels the script closes over.
type crew struct {
	clients []*client
	ready   sync.WaitGroup // every client finished its setup, well or not
	done    sync.WaitGroup // every script returned
	stop    func() bool
}

// script is what a client does after its setup; ok says whether the setup
// worked (a failed client must still pass every barrier of the script).
type script func(c *client, i int, ok bool)

// newClients mints a token for each of n users; users are unique to the
// run, so runs against one long-running server never share sessions or
// rate limits.
func (e *runEnv) newClients(t *target, n int, role string, tl *tally) ([]*client, error) {
	clients := make([]*client, n)
	for i := range clients {
		user := fmt.Sprintf("load-%s-%s-%05d", e.runID, role, i)
		token := "baseline" // the baseline does not authenticate
		if t.secret != nil {
			var err error
			token, err = auth.Mint(t.secret, auth.MintOptions{UserID: user, TTL: e.cfg.Timeout + time.Hour})
			if err != nil {
				return nil, fmt.Errorf("loadtest: mint token: %w", err)
			}
		}
		clients[i] = &client{user: user, token: token, t: tl}
	}
	return clients, nil
}

// startCrew launches one goroutine per client. Cancelling ctx closes every
// connection, which ends every blocked read, so the crew always finishes.
func (e *runEnv) startCrew(ctx context.Context, d *dialer, clients []*client, run script) *crew {
	cr := &crew{clients: clients}
	cr.stop = context.AfterFunc(ctx, cr.closeAll)
	sem := make(chan struct{}, e.cfg.DialConcurrency)
	cr.ready.Add(len(clients))
	cr.done.Add(len(clients))
	for i, c := range clients {
		go func() {
			defer cr.done.Done()
			sem <- struct{}{}
			ok := e.setUp(ctx, d, c) == nil
			<-sem
			cr.ready.Done()
			run(c, i, ok)
		}()
	}
	return cr
}

// setUp connects c and opens its session, unless the run asks for bare
// connections.
func (e *runEnv) setUp(ctx context.Context, d *dialer, c *client) error {
	if e.cfg.NoSession && e.cfg.Scenario == ScenarioIdle {
		return c.connect(ctx, d, &c.t.connect)
	}
	return openSession(ctx, d, c)
}

// openSession connects c and opens its session with a one-token reply.
func openSession(ctx context.Context, d *dialer, c *client) error {
	if err := c.connect(ctx, d, &c.t.connect); err != nil {
		return err
	}
	if err := c.ask(setupReply); err != nil {
		return err
	}
	return c.readUntil(time.Now().Add(opLimit), c.replied)
}

// closeAll closes every client's connection; safe from any goroutine.
func (cr *crew) closeAll() {
	for _, c := range cr.clients {
		c.close()
	}
}

// finish closes every connection and waits for every script.
func (cr *crew) finish() {
	cr.stop()
	cr.closeAll()
	cr.done.Wait()
}

// sleepUntil waits until t or until ctx ends; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

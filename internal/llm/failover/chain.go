package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
)

// ErrFirstTokenTimeout is the failure of a provider that sent no token
// within Options.FirstTokenTimeout.
var ErrFirstTokenTimeout = errors.New("no first token in time")

// ExhaustedError is returned when no provider of a chain could answer.
// It matches chat.ErrUnavailable with errors.Is, and each provider's own
// failure with errors.As.
type ExhaustedError struct {
	Failed  []error  // each tried provider's failure, in order, prefixed with its id
	Skipped []string // providers not tried because their breaker was open
}

// Error lists what happened to every provider of the chain.
func (e *ExhaustedError) Error() string {
	parts := make([]string, 0, len(e.Failed)+len(e.Skipped))
	for _, err := range e.Failed {
		parts = append(parts, err.Error())
	}
	for _, id := range e.Skipped {
		parts = append(parts, id+": skipped, circuit open")
	}
	return "failover: no provider could answer: " + strings.Join(parts, "; ")
}

// Unwrap exposes chat.ErrUnavailable and every provider's failure.
func (e *ExhaustedError) Unwrap() []error {
	return append([]error{chat.ErrUnavailable}, e.Failed...)
}

// Chain is a chat.Provider trying a Group's providers in order. See the
// package documentation.
type Chain struct {
	g     *Group
	order []*member
}

// Name is the first provider's name: the chain stands for its model.
func (c *Chain) Name() string { return c.order[0].Provider.Name() }

// Available reports whether any provider of the chain would get a
// request now.
func (c *Chain) Available() bool {
	now := c.g.now()
	for _, m := range c.order {
		if m.br.status(m.ID, now).Available() {
			return true
		}
	}
	return false
}

// Stream implements chat.Provider. Deltas are passed on from the first
// provider that produces one; until then a failing provider costs only
// its own attempt. The returned Usage adds up every attempt's, since a
// provider may bill the prompt of a reply it then failed to stream.
func (c *Chain) Stream(ctx context.Context, req chat.CompletionRequest, emit func(delta string) error) (chat.Completion, error) {
	var (
		usage     chat.Usage
		exhausted ExhaustedError
	)
	for i, m := range c.order {
		if err := ctx.Err(); err != nil {
			return chat.Completion{Usage: usage}, fmt.Errorf("failover: %w", err)
		}
		now := c.g.now()
		ok, probe := m.br.acquire(now)
		if !ok {
			exhausted.Skipped = append(exhausted.Skipped, m.ID)
			continue
		}
		a := c.g.attempt(ctx, m, req, emit, !c.laterAvailable(i, now))
		usage.InputTokens += a.out.Usage.InputTokens
		usage.OutputTokens += a.out.Usage.OutputTokens
		a.out.Usage = usage
		if a.err == nil {
			if m.br.succeed(probe) {
				c.g.log.Info("LLM provider answering again: circuit closed", "provider", m.ID)
			}
			return a.out, nil
		}
		retry, after := a.classify(ctx)
		if retry {
			c.g.failed(m, probe, after, a.err)
		} else {
			m.br.release(probe)
		}
		if a.committed || !retry {
			return a.out, a.err
		}
		c.g.log.Warn("LLM provider failed before the first token; trying the next one",
			"provider", m.ID, "err", a.err)
		exhausted.Failed = append(exhausted.Failed, fmt.Errorf("%s: %w", m.ID, a.err))
	}
	return chat.Completion{Usage: usage}, &exhausted
}

// laterAvailable reports whether a provider after position i could still
// be tried, which decides whether the first-token limit applies.
func (c *Chain) laterAvailable(i int, now time.Time) bool {
	for _, m := range c.order[i+1:] {
		if m.br.status(m.ID, now).Available() {
			return true
		}
	}
	return false
}

// attempt is one provider's try at a reply.
type attempt struct {
	out       chat.Completion
	err       error
	committed bool // a delta reached emit: no other provider may answer now
	timedOut  bool // no first token within the limit
	emitErr   bool // err is emit's own
}

// classify decides whether the failure counts against the provider and
// whether another provider should take over (the caller also needs the
// attempt uncommitted for that).
func (a attempt) classify(ctx context.Context) (retry bool, after time.Duration) {
	switch {
	case a.emitErr, ctx.Err() != nil:
		return false, 0 // the caller stopped the reply
	case a.timedOut:
		return true, 0
	case errors.Is(a.err, chat.ErrInvalid):
		return false, 0
	}
	return llm.Retryable(a.err)
}

// First-token race states: the timer, the first delta and the end of the
// stream each try to move the attempt out of waiting; whoever comes first
// decides its fate.
const (
	waiting = iota
	committed
	timedOut
	ended // the stream returned before either
)

// attempt streams req from m, with m's own settings, passing deltas to
// emit. Unless last, it gives up when no delta arrives within the
// first-token limit.
func (g *Group) attempt(ctx context.Context, m *member, req chat.CompletionRequest, emit func(string) error, last bool) attempt {
	req.Model, req.System, req.MaxOutputTokens = m.Model, m.SystemPrompt, chat.CapTokens(m.MaxOutputTokens, req.TokenCap)
	if !m.Vision {
		req.Turns = withoutImages(req.Turns)
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu    sync.Mutex
		state = waiting
	)
	move := func(to int) bool {
		mu.Lock()
		defer mu.Unlock()
		if state != waiting {
			return state == to
		}
		state = to
		return true
	}
	if limit := g.opts.FirstTokenTimeout; !last && limit > 0 {
		timer := time.AfterFunc(limit, func() {
			if move(timedOut) {
				cancel()
			}
		})
		defer timer.Stop()
	}

	var a attempt
	out, err := m.Provider.Stream(actx, req, func(delta string) error {
		if !move(committed) {
			return ErrFirstTokenTimeout
		}
		if err := emit(delta); err != nil {
			a.emitErr = true
			return err
		}
		return nil
	})
	move(ended) // a timer firing after the stream returned changes nothing
	mu.Lock()
	a.committed, a.timedOut = state == committed, state == timedOut
	mu.Unlock()
	a.out, a.err = out, err
	if a.timedOut && ctx.Err() == nil {
		a.err = fmt.Errorf("%w within %s (%v)", ErrFirstTokenTimeout, g.opts.FirstTokenTimeout, err)
	}
	return a
}

// failed records a provider failure and logs a breaker that opens.
func (g *Group) failed(m *member, probe bool, retryAfter time.Duration, err error) {
	opened, until := m.br.fail(g.now(), probe, retryAfter, err.Error())
	if opened {
		g.log.Warn("LLM provider circuit open: skipping it", "provider", m.ID,
			"until", until, "retry_after", retryAfter, "err", err)
	}
}

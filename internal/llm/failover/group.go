// Package failover chains model providers: a reply goes to the chosen
// provider first and, if that one fails before its first token (refused
// connection, 429, 5xx, no first token in time), to the next provider in
// priority order, so the user sees one uninterrupted reply. A failure
// after tokens have streamed is returned with the partial text: replaying
// the question elsewhere would show a second, different beginning.
//
// Each provider has a circuit breaker shared by every chain it belongs to:
// after consecutive failures, or when the provider answers 429/503 with
// Retry-After, it is skipped at no latency until a half-open probe shows
// it is back. Statuses, Available and Ready expose the breakers for
// readiness and model listings.
package failover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Defaults for zero Options fields.
const (
	DefaultFailureThreshold  = 3
	DefaultCoolDown          = 30 * time.Second
	DefaultFirstTokenTimeout = 30 * time.Second
)

// Member is one provider of a Group, with the request settings used when
// it answers: a reply that fails over to it is sent with its own model
// name, system prompt and output limit, not the first provider's.
type Member struct {
	ID              string // configured provider id; unique in the group
	Provider        chat.Provider
	Model           string // upstream model name sent to Provider
	SystemPrompt    string
	MaxOutputTokens int
	Vision          bool // accepts image input; images are left out of requests to it otherwise
}

// Options tune a Group. Zero fields take the defaults above.
type Options struct {
	// FailureThreshold is how many consecutive failures open a breaker.
	FailureThreshold int
	// CoolDown is how long an open breaker skips its provider before a
	// half-open probe.
	CoolDown time.Duration
	// FirstTokenTimeout is how long a provider may take to its first
	// token before the reply moves to the next one; negative: no limit.
	// The last provider that can still be tried gets no such limit, only
	// the caller's own deadline: there is nowhere else to go.
	FirstTokenTimeout time.Duration
	// Logger receives failovers and breaker changes; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil uses time.Now. Tests set it.
	Now func() time.Time
}

// Group holds providers in priority order with their breakers. It is safe
// for concurrent use.
type Group struct {
	members []*member // priority order
	byID    map[string]*member
	opts    Options
	log     *slog.Logger
}

type member struct {
	Member
	br *breaker
}

// New returns a Group of members, given in priority order.
func New(members []Member, opts Options) (*Group, error) {
	if len(members) == 0 {
		return nil, errors.New("failover: no providers")
	}
	if opts.FailureThreshold <= 0 {
		opts.FailureThreshold = DefaultFailureThreshold
	}
	if opts.CoolDown <= 0 {
		opts.CoolDown = DefaultCoolDown
	}
	if opts.FirstTokenTimeout == 0 {
		opts.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Group{byID: map[string]*member{}, opts: opts, log: opts.Logger}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for i, m := range members {
		switch {
		case m.ID == "":
			return nil, fmt.Errorf("failover: provider %d has no id", i)
		case m.Provider == nil:
			return nil, fmt.Errorf("failover: provider %q is nil", m.ID)
		case g.byID[m.ID] != nil:
			return nil, fmt.Errorf("failover: provider id %q is used twice", m.ID)
		}
		mm := &member{Member: m, br: &breaker{threshold: opts.FailureThreshold, coolDown: opts.CoolDown}}
		g.members = append(g.members, mm)
		g.byID[m.ID] = mm
	}
	return g, nil
}

// Chain returns the provider serving the model of provider first: first
// is tried, then, with failover, every other provider in priority order.
func (g *Group) Chain(first string, failover bool) (*Chain, error) {
	head, ok := g.byID[first]
	if !ok {
		return nil, fmt.Errorf("failover: unknown provider %q", first)
	}
	order := []*member{head}
	if failover {
		for _, m := range g.members {
			if m != head {
				order = append(order, m)
			}
		}
	}
	return &Chain{g: g, order: order}, nil
}

// Statuses returns every provider's breaker, in priority order.
func (g *Group) Statuses() []Status {
	now := g.opts.Now()
	out := make([]Status, len(g.members))
	for i, m := range g.members {
		out[i] = m.br.status(m.ID, now)
	}
	return out
}

// Available reports whether provider id would get a request now (its
// breaker is not open); false for an unknown id.
func (g *Group) Available(id string) bool {
	m, ok := g.byID[id]
	return ok && m.br.status(id, g.opts.Now()).Available()
}

// Ready is a readiness check: nil while at least one provider is
// available, otherwise an error naming each provider's state. It needs no
// network call; the breakers reflect the replies already attempted.
func (g *Group) Ready(context.Context) error {
	var down []string
	for _, s := range g.Statuses() {
		if s.Available() {
			return nil
		}
		down = append(down, fmt.Sprintf("%s open until %s after %d failures (%s)",
			s.ID, s.RetryAt.UTC().Format(time.RFC3339), s.Failures, s.LastError))
	}
	return fmt.Errorf("every LLM provider's circuit is open: %s", strings.Join(down, "; "))
}

func (g *Group) now() time.Time { return g.opts.Now() }

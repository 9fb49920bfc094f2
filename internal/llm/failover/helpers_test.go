package failover_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
)

// fakeProvider is a scripted chat.Provider that records its calls.
type fakeProvider struct {
	name string
	fn   func(ctx context.Context, emit func(string) error) (chat.Completion, error)

	mu   sync.Mutex
	reqs []chat.CompletionRequest
}

func (p *fakeProvider) Name() string { return p.name }

func (p *fakeProvider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	p.mu.Lock()
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()
	return p.fn(ctx, emit)
}

func (p *fakeProvider) calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reqs)
}

func (p *fakeProvider) last() chat.CompletionRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reqs[len(p.reqs)-1]
}

// answers streams tokens and succeeds with usage in=10, out=len(tokens).
func answers(name string, tokens ...string) *fakeProvider {
	return &fakeProvider{name: name, fn: func(_ context.Context, emit func(string) error) (chat.Completion, error) {
		return stream(emit, tokens, nil)
	}}
}

// fails streams tokens, then fails with err.
func fails(name string, err error, tokens ...string) *fakeProvider {
	return &fakeProvider{name: name, fn: func(_ context.Context, emit func(string) error) (chat.Completion, error) {
		return stream(emit, tokens, err)
	}}
}

// stalls sends nothing until the context ends.
func stalls(name string) *fakeProvider {
	return &fakeProvider{name: name, fn: func(ctx context.Context, _ func(string) error) (chat.Completion, error) {
		<-ctx.Done()
		return chat.Completion{}, ctx.Err()
	}}
}

func stream(emit func(string) error, tokens []string, end error) (chat.Completion, error) {
	c := chat.Completion{Usage: chat.Usage{InputTokens: 10}}
	for _, tok := range tokens {
		if err := emit(tok); err != nil {
			return c, err
		}
		c.Text += tok
		c.Usage.OutputTokens++
	}
	return c, end
}

// status is a provider error with an HTTP status, as the adapters return.
func status(code int, retryAfter time.Duration) error {
	return &llm.Error{Backend: "fake", StatusCode: code, Retry: llm.StatusRetryable(code), RetryAfter: retryAfter, Message: "injected"}
}

// clock is a manual clock for breaker timing.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// group builds a Group of providers (ids = names, model "m-<id>") with a
// manual clock; opts may override.
func group(t *testing.T, clk *clock, opts failover.Options, providers ...*fakeProvider) *failover.Group {
	t.Helper()
	members := make([]failover.Member, len(providers))
	for i, p := range providers {
		members[i] = failover.Member{ID: p.name, Provider: p, Model: "m-" + p.name, SystemPrompt: "sys-" + p.name, MaxOutputTokens: 100 + i}
	}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	g, err := failover.New(members, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func chain(t *testing.T, g *failover.Group, first string) *failover.Chain {
	t.Helper()
	c, err := g.Chain(first, true)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ask streams one reply and returns the text emitted and the result.
func ask(t *testing.T, ctx context.Context, p chat.Provider) (string, chat.Completion, error) {
	t.Helper()
	var b strings.Builder
	c, err := p.Stream(ctx, chat.CompletionRequest{Model: "chosen", System: "chosen", Turns: []chat.Turn{{Role: chat.RoleUser, Content: "hi"}}},
		func(d string) error { b.WriteString(d); return nil })
	return b.String(), c, err
}

func state(t *testing.T, g *failover.Group, id string) failover.Status {
	t.Helper()
	for _, s := range g.Statuses() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no status for %q", id)
	return failover.Status{}
}

var errRefused = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

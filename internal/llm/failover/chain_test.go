package failover_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ chat.Provider = (*failover.Chain)(nil)

func TestFailsOverBeforeTheFirstToken(t *testing.T) {
	tests := []struct {
		name   string
		first  *fakeProvider
		wantIn int // the first attempt's input tokens plus the second's 10
	}{
		{"503", fails("a", status(503, 0)), 20},
		{"429", fails("a", status(429, time.Second)), 20},
		{"500", fails("a", status(500, 0)), 20},
		{"connection refused", fails("a", errRefused), 20},
		{"no first token in time", stalls("a"), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := answers("b", "Hello", " there")
			g := group(t, newClock(), failover.Options{FirstTokenTimeout: 20 * time.Millisecond}, tt.first, second)
			text, got, err := ask(t, t.Context(), chain(t, g, "a"))
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello there" || got.Text != text {
				t.Fatalf("emitted %q, completion %q", text, got.Text)
			}
			// Both attempts' usage counts: a provider may bill a prompt it
			// then failed to answer.
			if got.Usage != (chat.Usage{InputTokens: tt.wantIn, OutputTokens: 2}) {
				t.Fatalf("usage %+v", got.Usage)
			}
			if tt.first.calls() != 1 || second.calls() != 1 {
				t.Fatalf("calls: first %d, second %d", tt.first.calls(), second.calls())
			}
		})
	}
}

func TestFailoverUsesTheAnsweringProvidersSettings(t *testing.T) {
	a, b := fails("a", status(503, 0)), answers("b", "ok")
	g := group(t, newClock(), failover.Options{}, a, b)
	if _, _, err := ask(t, t.Context(), chain(t, g, "a")); err != nil {
		t.Fatal(err)
	}
	if r := a.last(); r.Model != "m-a" || r.System != "sys-a" || r.MaxOutputTokens != 100 {
		t.Fatalf("first provider got %+v", r)
	}
	if r := b.last(); r.Model != "m-b" || r.System != "sys-b" || r.MaxOutputTokens != 101 || len(r.Turns) != 1 {
		t.Fatalf("second provider got %+v", r)
	}
}

// TestTokenCapBoundsEveryMembersLimit: what the user's budget leaves
// (TokenCap) lowers each member's own output limit, also after a failover;
// a member limit already under it stays.
func TestTokenCapBoundsEveryMembersLimit(t *testing.T) {
	for _, tc := range []struct {
		cap, wantA, wantB int
	}{
		{0, 100, 101},
		{50, 50, 50},
		{101, 100, 101},
		{1, 1, 1},
	} {
		a, b := fails("a", status(503, 0)), answers("b", "ok")
		g := group(t, newClock(), failover.Options{}, a, b)
		req := chat.CompletionRequest{TokenCap: tc.cap, Turns: []chat.Turn{{Role: chat.RoleUser, Content: "hi"}}}
		if _, err := chain(t, g, "a").Stream(t.Context(), req, func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if got := a.last().MaxOutputTokens; got != tc.wantA {
			t.Errorf("cap %d: first provider asked for %d tokens, want %d", tc.cap, got, tc.wantA)
		}
		if got := b.last().MaxOutputTokens; got != tc.wantB {
			t.Errorf("cap %d: second provider asked for %d tokens, want %d", tc.cap, got, tc.wantB)
		}
	}
}

func TestChainOrder(t *testing.T) {
	var order []string
	var mu sync.Mutex
	failing := func(name string) *fakeProvider {
		p := fails(name, status(503, 0))
		inner := p.fn
		p.fn = func(ctx context.Context, emit func(string) error) (chat.Completion, error) {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return inner(ctx, emit)
		}
		return p
	}
	g := group(t, newClock(), failover.Options{FailureThreshold: 100}, failing("a"), failing("b"), failing("c"))
	tests := []struct {
		first    string
		failover bool
		want     []string
	}{
		{"b", true, []string{"b", "a", "c"}},
		{"c", true, []string{"c", "a", "b"}},
		{"b", false, []string{"b"}},
	}
	for _, tt := range tests {
		order = nil
		c, err := g.Chain(tt.first, tt.failover)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ask(t, t.Context(), c)
		if !errors.Is(err, chat.ErrUnavailable) {
			t.Fatalf("error %v, want ErrUnavailable", err)
		}
		if len(order) != len(tt.want) || !equal(order, tt.want) {
			t.Errorf("first %s failover %v: tried %v, want %v", tt.first, tt.failover, order, tt.want)
		}
	}
	if _, err := g.Chain("zzz", true); err == nil {
		t.Fatal("a chain for an unknown provider was built")
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestNoFailoverOnceTokensStreamed(t *testing.T) {
	boom := status(502, 0)
	a, b := fails("a", boom, "par", "tial"), answers("b", "other")
	g := group(t, newClock(), failover.Options{}, a, b)
	text, got, err := ask(t, t.Context(), chain(t, g, "a"))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the provider's own", err)
	}
	if text != "partial" || got.Text != "partial" || b.calls() != 0 {
		t.Fatalf("emitted %q completion %q; second provider called %d times", text, got.Text, b.calls())
	}
	if s := state(t, g, "a"); s.Failures != 1 {
		t.Fatalf("a mid-stream failure was not counted: %+v", s)
	}
}

func TestNoFailoverForTheRequestsOwnFaults(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"400", status(400, 0)},
		{"invalid request", errors.Join(chat.ErrInvalid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fails("a", tt.err), answers("b", "x")
			g := group(t, newClock(), failover.Options{FailureThreshold: 1}, a, b)
			_, _, err := ask(t, t.Context(), chain(t, g, "a"))
			if !errors.Is(err, tt.err) || b.calls() != 0 {
				t.Fatalf("error %v, second provider called %d times", err, b.calls())
			}
			if s := state(t, g, "a"); s.State != failover.Closed || s.Failures != 0 {
				t.Fatalf("the provider was blamed for the request: %+v", s)
			}
		})
	}
}

func TestCallerStopsTheReply(t *testing.T) {
	t.Run("cancelled before the first token", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		a := stalls("a")
		stall := a.fn
		a.fn = func(ctx context.Context, emit func(string) error) (chat.Completion, error) {
			cancel() // the user ends the session while the provider thinks
			return stall(ctx, emit)
		}
		b := answers("b", "x")
		g := group(t, newClock(), failover.Options{FailureThreshold: 1, FirstTokenTimeout: -1}, a, b)
		_, _, err := ask(t, ctx, chain(t, g, "a"))
		if !errors.Is(err, context.Canceled) || b.calls() != 0 {
			t.Fatalf("error %v, second provider called %d times", err, b.calls())
		}
		if s := state(t, g, "a"); s.Failures != 0 {
			t.Fatalf("a cancelled reply counted against the provider: %+v", s)
		}
	})
	t.Run("emit refuses a delta", func(t *testing.T) {
		errGone := errors.New("client gone")
		a, b := answers("a", "x", "y"), answers("b", "z")
		g := group(t, newClock(), failover.Options{FailureThreshold: 1}, a, b)
		_, err := chain(t, g, "a").Stream(t.Context(), chat.CompletionRequest{}, func(string) error { return errGone })
		if err != errGone || b.calls() != 0 {
			t.Fatalf("error %v, second provider called %d times", err, b.calls())
		}
		if s := state(t, g, "a"); s.Failures != 0 {
			t.Fatalf("the caller's error counted against the provider: %+v", s)
		}
	})
}

func TestLastCandidateHasNoFirstTokenLimit(t *testing.T) {
	release := make(chan struct{})
	slow := &fakeProvider{name: "only", fn: func(ctx context.Context, emit func(string) error) (chat.Completion, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return chat.Completion{}, ctx.Err()
		}
		return stream(emit, []string{"late"}, nil)
	}}
	g := group(t, newClock(), failover.Options{FirstTokenTimeout: time.Millisecond}, slow)
	// Released well after the limit would have fired: with nowhere to
	// fail over to, waiting is the only way to an answer.
	time.AfterFunc(50*time.Millisecond, func() { close(release) })
	text, _, err := ask(t, t.Context(), chain(t, g, "only"))
	if err != nil || text != "late" {
		t.Fatalf("text %q error %v", text, err)
	}
}

func TestEveryProviderFails(t *testing.T) {
	a, b := fails("a", status(503, 0)), fails("b", errRefused)
	g := group(t, newClock(), failover.Options{}, a, b)
	_, got, err := ask(t, t.Context(), chain(t, g, "a"))
	var ex *failover.ExhaustedError
	if !errors.As(err, &ex) || !errors.Is(err, chat.ErrUnavailable) || !errors.Is(err, errRefused) {
		t.Fatalf("error %v", err)
	}
	if len(ex.Failed) != 2 || len(ex.Skipped) != 0 || got.Text != "" {
		t.Fatalf("failed %v skipped %v text %q", ex.Failed, ex.Skipped, got.Text)
	}
}

func TestNewValidates(t *testing.T) {
	p := answers("a")
	bad := [][]failover.Member{
		nil,
		{{ID: "", Provider: p}},
		{{ID: "a"}},
		{{ID: "a", Provider: p}, {ID: "a", Provider: p}},
	}
	for _, members := range bad {
		if _, err := failover.New(members, failover.Options{}); err == nil {
			t.Errorf("New(%v) accepted", members)
		}
	}
}

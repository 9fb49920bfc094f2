package failover_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
)

func TestBreakerOpensAndADeadProviderCostsNothing(t *testing.T) {
	clk := newClock()
	dead, backup := fails("dead", errRefused), answers("backup", "ok")
	g := group(t, clk, failover.Options{FailureThreshold: 3, CoolDown: time.Minute}, dead, backup)
	c := chain(t, g, "dead")
	for i := range 3 {
		if _, _, err := ask(t, t.Context(), c); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	s := state(t, g, "dead")
	if s.State != failover.Open || s.Failures != 3 || !s.RetryAt.Equal(clk.Now().Add(time.Minute)) || !strings.Contains(s.LastError, "refused") {
		t.Fatalf("status after 3 failures: %+v", s)
	}
	if g.Available("dead") || !g.Available("backup") || !c.Available() {
		t.Fatal("availability does not reflect the open breaker")
	}
	// While open, the dead provider is not even called.
	for range 5 {
		if _, _, err := ask(t, t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	if n := dead.calls(); n != 3 {
		t.Fatalf("dead provider called %d times, want 3", n)
	}
	if err := g.Ready(t.Context()); err != nil {
		t.Fatalf("ready with one provider left: %v", err)
	}
}

func TestHalfOpenProbe(t *testing.T) {
	tests := []struct {
		name      string
		recovered bool
		want      failover.State
	}{
		{"probe succeeds: closed", true, failover.Closed},
		{"probe fails: open again", false, failover.Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			healthy := false
			p := &fakeProvider{name: "p", fn: func(_ context.Context, emit func(string) error) (chat.Completion, error) {
				if healthy {
					return stream(emit, []string{"back"}, nil)
				}
				return chat.Completion{}, status(503, 0)
			}}
			backup := answers("backup", "b")
			g := group(t, clk, failover.Options{FailureThreshold: 1, CoolDown: 10 * time.Second}, p, backup)
			c := chain(t, g, "p")
			if _, _, err := ask(t, t.Context(), c); err != nil {
				t.Fatal(err)
			}
			if s := state(t, g, "p"); s.State != failover.Open {
				t.Fatalf("after one failure with threshold 1: %+v", s)
			}
			clk.advance(10 * time.Second)
			if s := state(t, g, "p"); s.State != failover.HalfOpen || !s.Available() {
				t.Fatalf("after the cool-down: %+v", s)
			}
			healthy = tt.recovered
			text, _, err := ask(t, t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			if p.calls() != 2 {
				t.Fatalf("the probe did not reach the provider (%d calls)", p.calls())
			}
			if s := state(t, g, "p"); s.State != tt.want {
				t.Fatalf("after the probe: %+v, want %s", s, tt.want)
			}
			if tt.recovered && text != "back" {
				t.Fatalf("the recovered provider's answer was not used: %q", text)
			}
			if !tt.recovered && !state(t, g, "p").RetryAt.Equal(clk.Now().Add(10*time.Second)) {
				t.Fatalf("a failed probe must wait a full cool-down: %+v", state(t, g, "p"))
			}
		})
	}
}

func TestHalfOpenAllowsOneProbeAtATime(t *testing.T) {
	clk := newClock()
	inProbe, release := make(chan struct{}), make(chan struct{})
	calls := 0
	p := &fakeProvider{name: "p", fn: func(_ context.Context, emit func(string) error) (chat.Completion, error) {
		calls++
		if calls == 1 {
			return chat.Completion{}, status(500, 0)
		}
		close(inProbe)
		<-release
		return stream(emit, []string{"probe"}, nil)
	}}
	backup := answers("backup", "b")
	g := group(t, clk, failover.Options{FailureThreshold: 1, CoolDown: time.Second, FirstTokenTimeout: -1}, p, backup)
	c := chain(t, g, "p")
	if _, _, err := ask(t, t.Context(), c); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	probe := make(chan string, 1)
	go func() {
		text, _, _ := ask(t, context.Background(), c)
		probe <- text
	}()
	<-inProbe
	// A second reply during the probe goes straight to the backup.
	text, _, err := ask(t, t.Context(), c)
	if err != nil || text != "b" {
		t.Fatalf("during the probe: text %q error %v", text, err)
	}
	close(release)
	if got := <-probe; got != "probe" {
		t.Fatalf("probe answered %q", got)
	}
	if s := state(t, g, "p"); s.State != failover.Closed {
		t.Fatalf("after a good probe: %+v", s)
	}
}

func TestRetryAfterSkipsTheProviderUntilThen(t *testing.T) {
	clk := newClock()
	limited := fails("limited", status(429, 20*time.Second))
	backup := answers("backup", "b")
	// A high threshold: the skip comes from Retry-After alone.
	g := group(t, clk, failover.Options{FailureThreshold: 100, CoolDown: time.Second}, limited, backup)
	c := chain(t, g, "limited")
	if _, _, err := ask(t, t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if s := state(t, g, "limited"); s.State != failover.Open || !s.RetryAt.Equal(clk.Now().Add(20*time.Second)) {
		t.Fatalf("after a 429 with Retry-After 20s: %+v", s)
	}
	clk.advance(19 * time.Second)
	if _, _, err := ask(t, t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if n := limited.calls(); n != 1 {
		t.Fatalf("called %d times before Retry-After passed", n)
	}
	clk.advance(time.Second)
	if _, _, err := ask(t, t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if n := limited.calls(); n != 2 {
		t.Fatalf("not probed once Retry-After passed (%d calls)", n)
	}
}

func TestAllOpen(t *testing.T) {
	clk := newClock()
	a, b := fails("a", status(503, 0)), fails("b", status(503, 0))
	g := group(t, clk, failover.Options{FailureThreshold: 1, CoolDown: time.Minute}, a, b)
	c := chain(t, g, "a")
	if _, _, err := ask(t, t.Context(), c); !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("first reply: %v", err)
	}
	_, _, err := ask(t, t.Context(), c)
	var ex *failover.ExhaustedError
	if !errors.As(err, &ex) || len(ex.Failed) != 0 || len(ex.Skipped) != 2 || !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("with every breaker open: %v", err)
	}
	if a.calls() != 1 || b.calls() != 1 {
		t.Fatalf("open providers were called: a %d, b %d", a.calls(), b.calls())
	}
	if c.Available() {
		t.Fatal("chain available with every breaker open")
	}
	err = g.Ready(t.Context())
	if err == nil || !strings.Contains(err.Error(), "a open until") || !strings.Contains(err.Error(), "b open until") {
		t.Fatalf("Ready = %v", err)
	}
	// Readiness recovers by itself once probes are allowed again.
	clk.advance(time.Minute)
	if err := g.Ready(t.Context()); err != nil {
		t.Fatalf("Ready after the cool-down: %v", err)
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[failover.State]string{failover.Closed: "closed", failover.Open: "open", failover.HalfOpen: "half-open", 9: "State(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

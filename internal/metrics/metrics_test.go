package metrics

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// The deployment guide, dashboards and the HPA use these names.
var promisedNames = []string{
	"chatbox_websocket_connections_total",
	"chatbox_active_sessions_total",
	"chatbox_messages_received_total",
	"chatbox_messages_sent_total",
	"chatbox_llm_requests_total",
	"chatbox_llm_latency_seconds",
	"chatbox_llm_errors_total",
	"chatbox_tokens_used_total",
	"chatbox_sessions_created_total",
	"chatbox_sessions_ended_total",
	"chatbox_admin_takeovers_total",
	"process_resident_memory_bytes",
}

func TestPromisedMetricNamesAreServed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	// Vectors appear once they have a child.
	m.MessagesReceived.WithLabelValues("ping")
	m.MessagesSent.WithLabelValues("pong")
	m.LLMRequests.WithLabelValues("p", "m")
	m.LLMLatency.WithLabelValues("p", "m").Observe(1)
	m.LLMErrors.WithLabelValues("p", "m")
	m.TokensUsed.WithLabelValues("p", "m", "input")
	m.SessionsEnded.WithLabelValues("user")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
	}
	for _, name := range promisedNames {
		if !served[name] {
			t.Errorf("metric %s is not served", name)
		}
	}
}

type scriptedProvider struct {
	deltas []string
	err    error
	usage  chat.Usage
}

func (p scriptedProvider) Name() string { return "scripted" }

func (p scriptedProvider) Stream(_ context.Context, _ chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	var c chat.Completion
	for _, d := range p.deltas {
		if err := emit(d); err != nil {
			return c, err
		}
		c.Text += d
	}
	c.Usage = p.usage
	return c, p.err
}

func TestInstrumentProvider(t *testing.T) {
	m := New(prometheus.NewRegistry())
	ok := m.InstrumentProvider(scriptedProvider{deltas: []string{"a", "b"}, usage: chat.Usage{InputTokens: 7, OutputTokens: 2}}, "gpt")
	bad := m.InstrumentProvider(scriptedProvider{deltas: []string{"a"}, err: errors.New("boom")}, "gpt")
	var got string
	if _, err := ok.Stream(context.Background(), chat.CompletionRequest{}, func(d string) error { got += d; return nil }); err != nil || got != "ab" {
		t.Fatalf("instrumented stream = %q, %v; deltas must pass through unchanged", got, err)
	}
	if _, err := bad.Stream(context.Background(), chat.CompletionRequest{}, func(string) error { return nil }); err == nil {
		t.Fatal("the provider's error was swallowed")
	}
	checks := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"requests", m.LLMRequests.WithLabelValues("scripted", "gpt"), 2},
		{"errors", m.LLMErrors.WithLabelValues("scripted", "gpt"), 1},
		{"input tokens", m.TokensUsed.WithLabelValues("scripted", "gpt", "input"), 7},
		{"output tokens", m.TokensUsed.WithLabelValues("scripted", "gpt", "output"), 2},
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	// Both streams sent a first token; only the successful one finished.
	if got := histogramCount(t, m.LLMLatency.WithLabelValues("scripted", "gpt")); got != 2 {
		t.Errorf("time-to-first-token observations = %d, want 2", got)
	}
	if got := histogramCount(t, m.LLMReplyDuration.WithLabelValues("scripted", "gpt")); got != 1 {
		t.Errorf("reply-duration observations = %d, want 1 (successes only)", got)
	}
}

func TestNoFirstTokenNoLatency(t *testing.T) {
	m := New(prometheus.NewRegistry())
	p := m.InstrumentProvider(scriptedProvider{err: errors.New("503")}, "gpt")
	if _, err := p.Stream(context.Background(), chat.CompletionRequest{}, func(string) error { return nil }); err == nil {
		t.Fatal("the provider's error was swallowed")
	}
	if got := histogramCount(t, m.LLMLatency.WithLabelValues("scripted", "gpt")); got != 0 {
		t.Errorf("a reply that never started observed a time to first token (%d)", got)
	}
	if got := testutil.ToFloat64(m.LLMErrors.WithLabelValues("scripted", "gpt")); got != 1 {
		t.Errorf("errors = %v, want 1", got)
	}
}

// histogramCount returns how many observations one histogram series holds.
func histogramCount(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	var pb dto.Metric
	if err := o.(prometheus.Metric).Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetHistogram().GetSampleCount()
}

func TestFirstTokenMedian(t *testing.T) {
	m := New(prometheus.NewRegistry())
	if got := m.FirstTokenMedian(); got != 0 {
		t.Fatalf("median with no observations = %v, want 0", got)
	}
	// Buckets 0.05, 0.1, 0.25...: three fast, one slow.
	for _, v := range []float64{0.06, 0.07, 0.08, 3} {
		m.LLMLatency.WithLabelValues("p", "m").Observe(v)
	}
	if got := m.FirstTokenMedian(); got <= 0.05 || got > 0.1 {
		t.Fatalf("median = %v, want inside the (0.05, 0.1] bucket", got)
	}
}

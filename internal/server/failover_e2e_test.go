package server

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm/anthropictest"
	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// failoverEnv configures two providers: provider 1 is the harness's
// OpenAI-compatible fake ("fake", answering at llmURL), provider 2 an
// Anthropic fake ("claude") behind it in priority.
func failoverEnv(t *testing.T, llmURL, claudeURL string, extra map[string]string) map[string]string {
	env := map[string]string{
		"LLM_PROVIDER_1_PRIORITY": "1",
		"LLM_PROVIDER_2_ID":       "claude",
		"LLM_PROVIDER_2_NAME":     "Fake Claude",
		"LLM_PROVIDER_2_TYPE":     "anthropic",
		"LLM_PROVIDER_2_ENDPOINT": claudeURL,
		"LLM_PROVIDER_2_MODEL":    "claude-test",
		"LLM_PROVIDER_2_API_KEY":  "sk-ant-test",
		"LLM_PROVIDER_2_PRIORITY": "2",
	}
	for k, v := range extra {
		env[k] = v
	}
	return testEnv(t.TempDir(), llmURL, env)
}

// TestFailoverEndToEnd: the chosen provider answers 503, the next one by
// priority answers, and the user sees one uninterrupted reply; the
// metrics count one error for the provider that failed, none for the one
// that answered.
func TestFailoverEndToEnd(t *testing.T) {
	down := fakeLLM(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{FailStatus: http.StatusServiceUnavailable, FailBody: `{"error":{"message":"overloaded","type":"server_error"}}`}
	}))
	claude := anthropictest.NewServer(t)
	srv := start(t, failoverEnv(t, down.URL, claude.URL, nil))

	c := srv.dial("alice")
	ack := c.ask("", "q1", "is anyone there?")
	streamed, final := c.reply()
	if want := "echo: is anyone there?"; streamed != want || final.str("content") != want {
		t.Fatalf("streamed %q, stored %q, want %q", streamed, final.str("content"), want)
	}
	if final.str("session_id") != ack.str("session_id") {
		t.Fatalf("reply in session %q, want %q", final.str("session_id"), ack.str("session_id"))
	}
	if n := len(down.Requests()); n != 1 {
		t.Fatalf("provider 1 got %d requests, want 1", n)
	}
	reqs := claude.Requests()
	if len(reqs) != 1 || reqs[0].Model != "claude-test" || reqs[0].LastUser() != "is anyone there?" {
		t.Fatalf("provider 2 got %+v", reqs)
	}

	checks := []struct {
		metric string
		labels map[string]string
		want   int
	}{
		{"chatbox_llm_errors_total", map[string]string{"provider": "fake", "model": "fake-model"}, 1},
		{"chatbox_llm_requests_total", map[string]string{"provider": "fake"}, 1},
		{"chatbox_llm_requests_total", map[string]string{"provider": "claude", "model": "claude-test"}, 1},
		{"chatbox_llm_errors_total", map[string]string{"provider": "claude"}, 0},
		{"chatbox_tokens_used_total", map[string]string{"provider": "claude", "kind": "output"}, 4},
	}
	body := scrape(t, srv)
	for _, ck := range checks {
		if got := series(body, ck.metric, ck.labels); got != ck.want {
			t.Errorf("%s%v = %d, want %d", ck.metric, ck.labels, got, ck.want)
		}
	}
	// One provider down leaves the instance ready: the other answers.
	var ready struct {
		Status string
		Checks map[string]string
	}
	if code := getJSON(t, srv.baseURL+"/readyz", "", &ready); code != http.StatusOK || ready.Checks["llm"] != "ok" {
		t.Fatalf("readyz = %d %+v, want 200 with llm ok", code, ready)
	}
}

// TestEveryProviderDownTurnsReadinessRed: when both providers answer 503
// with Retry-After, the user gets an llm_unavailable error instead of a
// silently missing reply, both breakers open, and readyz says why.
func TestEveryProviderDownTurnsReadinessRed(t *testing.T) {
	busy := func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{FailStatus: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"120"}}}
	}
	down := fakeLLM(t, llmtest.WithReply(busy))
	claude := anthropictest.NewServer(t, anthropictest.WithReply(func(anthropictest.Request) anthropictest.Reply {
		return anthropictest.Reply{FailStatus: 529, Header: http.Header{"Retry-After": {"120"}}}
	}))
	srv := start(t, failoverEnv(t, down.URL, claude.URL, nil))

	c := srv.dial("bob")
	c.ask("", "q1", "hello?")
	if f, _ := c.until("error", nil); f.str("code") != "llm_unavailable" {
		t.Fatalf("error frame %v, want llm_unavailable", f)
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	code := getJSON(t, srv.baseURL+"/readyz", "", &ready)
	if code != http.StatusServiceUnavailable || !strings.Contains(ready.Checks["llm"], "circuit is open") ||
		!strings.Contains(ready.Checks["llm"], "fake open until") || !strings.Contains(ready.Checks["llm"], "claude open until") {
		t.Fatalf("readyz = %d %+v, want 503 naming both open providers", code, ready)
	}
	// New connections learn that no model can answer right now.
	hello, _, err := srv.tryDial(token(t, "bob", time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	status := hello.read()
	models, _ := status["models"].([]any)
	for _, m := range models {
		if m.(map[string]any)["available"] != false {
			t.Errorf("connection_status model %v, want available false while every breaker is open", m)
		}
	}
	if len(models) == 0 {
		t.Fatalf("connection_status %v lists no models", status)
	}
	body := scrape(t, srv)
	for _, p := range []string{"fake", "claude"} {
		if got := series(body, "chatbox_llm_errors_total", map[string]string{"provider": p}); got != 1 {
			t.Errorf("errors of %s = %d, want 1", p, got)
		}
	}
}

// TestFailoverCanBeTurnedOff: with LLM_FAILOVER=false the chosen provider
// alone answers, or the user gets an error.
func TestFailoverCanBeTurnedOff(t *testing.T) {
	down := fakeLLM(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{FailStatus: http.StatusServiceUnavailable}
	}))
	claude := anthropictest.NewServer(t)
	srv := start(t, failoverEnv(t, down.URL, claude.URL, map[string]string{"LLM_FAILOVER": "false"}))
	c := srv.dial("carol")
	c.ask("", "q1", "hi")
	if f, _ := c.until("error", nil); f.str("code") != "llm_unavailable" {
		t.Fatalf("error frame %v, want llm_unavailable", f)
	}
	if n := len(claude.Requests()); n != 0 {
		t.Fatalf("provider 2 got %d requests with failover off", n)
	}
}

// scrape returns an instance's /metrics text.
func scrape(t *testing.T, in *instance) string {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(in.baseURL, "/chat") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// series sums the samples of metric whose labels include labels.
func series(body, metric string, labels map[string]string) int {
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(line, metric+"{")
		if !ok {
			continue
		}
		set, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		match := true
		for k, v := range labels {
			match = match && strings.Contains(","+set+",", fmt.Sprintf(",%s=%q,", k, v))
		}
		var f float64
		if _, err := fmt.Sscan(value, &f); match && err == nil {
			total += f
		}
	}
	return int(total)
}

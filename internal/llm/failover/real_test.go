package failover_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm/anthropic"
	"github.com/chatboxhq/chatbox/internal/llm/anthropictest"
	"github.com/chatboxhq/chatbox/internal/llm/dify"
	"github.com/chatboxhq/chatbox/internal/llm/difytest"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
	"github.com/chatboxhq/chatbox/internal/llm/openai"
)

// TestRealProvidersOverTheWire fails over across the three real adapters
// talking to their fake servers, so the classification of each adapter's
// own errors (status, Retry-After, error events) is what drives it.
func TestRealProvidersOverTheWire(t *testing.T) {
	oaiFake := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{FailStatus: 503, Header: http.Header{"Retry-After": {"30"}}}
	}))
	difyFake := difytest.NewServer(t, difytest.WithReply(func(difytest.Request) difytest.Reply {
		return difytest.Reply{ErrorStatus: 400, ErrorCode: "provider_quota_exceeded", ErrorMessage: "quota"}
	}))
	claudeFake := anthropictest.NewServer(t)

	oai, err := openai.New(openai.Options{Name: "gpt", BaseURL: oaiFake.URL, APIKey: "k", HTTPClient: oaiFake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	df, err := dify.New(dify.Options{Name: "dify", BaseURL: difyFake.URL, APIKey: "k", HTTPClient: difyFake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	claude, err := anthropic.New(anthropic.Options{Name: "claude", BaseURL: claudeFake.URL, APIKey: "k", HTTPClient: claudeFake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	g, err := failover.New([]failover.Member{
		{ID: "gpt", Provider: oai, Model: "gpt-x"},
		{ID: "dify", Provider: df, Model: "dify-app"},
		{ID: "claude", Provider: claude, Model: "claude-x"},
	}, failover.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := ask(t, t.Context(), chain(t, g, "gpt"))
	if err != nil {
		t.Fatal(err)
	}
	if text != "echo: hi" {
		t.Fatalf("reply %q", text)
	}
	if r := claudeFake.Requests(); len(r) != 1 || r[0].Model != "claude-x" {
		t.Fatalf("anthropic requests %+v", r)
	}
	// OpenAI's 503 carried Retry-After: it is skipped for 30s although one
	// failure is below the threshold; Dify's quota error counted once.
	if s := state(t, g, "gpt"); s.State != failover.Open || !s.RetryAt.Equal(clk.Now().Add(30*time.Second)) {
		t.Fatalf("gpt %+v", s)
	}
	if s := state(t, g, "dify"); s.State != failover.Closed || s.Failures != 1 {
		t.Fatalf("dify %+v", s)
	}
}

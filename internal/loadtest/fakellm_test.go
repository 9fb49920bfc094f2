package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm/openai"
)

// The fake model is checked through Chatbox's own OpenAI provider, the
// client it has to satisfy.
func TestFakeModelStreamsStampedTokensToTheOpenAIProvider(t *testing.T) {
	llm := NewFakeLLM(3, 0)
	srv := httptest.NewServer(llm)
	defer srv.Close()
	p, err := openai.New(openai.Options{BaseURL: srv.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	stream := func(content string) (int, string) {
		t.Helper()
		before := time.Now().UnixNano()
		n := 0
		out, err := p.Stream(context.Background(), chat.CompletionRequest{Model: "fake",
			Turns: []chat.Turn{{Role: chat.RoleUser, Content: content}}}, func(delta string) error {
			parseStamps(delta, func(v int64) {
				if v < before || v > time.Now().UnixNano() {
					t.Errorf("stamp %d outside the request's lifetime", v)
				}
				n++
			})
			return nil
		})
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		return n, out.Text
	}
	if n, _ := stream("no directive"); n != 3 {
		t.Errorf("default reply: %d tokens, want 3", n)
	}
	n, text := stream("q tokens=5 rate=200")
	if n != 5 || strings.Count(text, "~") != 5 {
		t.Errorf("asked for 5 tokens: %d deltas, text %q", n, text)
	}
	// The handler counts a stream once it returns, just after the client
	// has read the end.
	deadline := time.Now().Add(waitLimit)
	for llm.Stats().StreamsCompleted < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := llm.Stats(); s.TokensEmitted != 8 || s.StreamsCompleted != 2 || s.StreamsAborted != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestFakeModelCountsAbandonedStreams(t *testing.T) {
	llm := NewFakeLLM(1000, 100)
	srv := httptest.NewServer(llm)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(`{"stream":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(waitLimit)
	for llm.Stats().StreamsAborted != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want one aborted stream", llm.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if code := post(t, srv.URL+"/elsewhere"); code != http.StatusNotFound {
		t.Errorf("unknown route: %d", code)
	}
}

func post(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

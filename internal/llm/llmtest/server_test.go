package llmtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// safety is the generous limit given to Wait helpers; it only guards
// against a hung test and is never an assertion on speed.
const safety = 10 * time.Second

// event is one decoded SSE data line: either [DONE] or a JSON object.
type event struct {
	done bool
	raw  string
	obj  struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Index int `json:"index"`
			Delta struct {
				Role    string  `json:"role"`
				Content *string `json:"content"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
}

// post sends body to the server's chat endpoint.
func post(t *testing.T, ctx context.Context, s *llmtest.Server, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// reader decodes SSE data events one at a time.
type reader struct {
	t   *testing.T
	scn *bufio.Scanner
}

func newReader(t *testing.T, body io.Reader) *reader {
	return &reader{t: t, scn: bufio.NewScanner(body)}
}

// next returns the next data event, or ok=false at the end of the body.
func (r *reader) next() (ev event, ok bool) {
	r.t.Helper()
	for r.scn.Scan() {
		line, found := strings.CutPrefix(r.scn.Text(), "data: ")
		if !found {
			continue
		}
		ev.raw = line
		if line == "[DONE]" {
			ev.done = true
			return ev, true
		}
		if err := json.Unmarshal([]byte(line), &ev.obj); err != nil {
			r.t.Fatalf("bad event %q: %v", line, err)
		}
		return ev, true
	}
	return ev, false
}

// all reads every remaining event.
func (r *reader) all() []event {
	var evs []event
	for {
		ev, ok := r.next()
		if !ok {
			return evs
		}
		evs = append(evs, ev)
	}
}

// contents concatenates the content deltas of evs.
func contents(evs []event) []string {
	var out []string
	for _, ev := range evs {
		for _, c := range ev.obj.Choices {
			if c.Delta.Content != nil && *c.Delta.Content != "" {
				out = append(out, *c.Delta.Content)
			}
		}
	}
	return out
}

const chatBody = `{"model":"m1","stream":true,"stream_options":{"include_usage":true},
	"max_completion_tokens":64,"user":"u-1",
	"messages":[{"role":"system","content":"be brief"},
	{"role":"user","content":[{"type":"text","text":"hello"},{"type":"text","text":" there"}]},
	{"role":"assistant","content":"hi"},{"role":"user","content":"say   it  back"}]}`

func TestEchoStreamsChunksUsageAndDone(t *testing.T) {
	s := llmtest.NewServer(t)
	res := post(t, t.Context(), s, chatBody, map[string]string{"Authorization": "Bearer k"})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	evs := newReader(t, res.Body).all()

	want := []string{"echo:", " say", " it", " back"}
	if got := contents(evs); !slices.Equal(got, want) {
		t.Fatalf("deltas %q, want %q", got, want)
	}
	if len(evs) < 3 || !evs[len(evs)-1].done {
		t.Fatalf("stream does not end with [DONE]: %v", evs)
	}
	usage := evs[len(evs)-2].obj
	if usage.Usage == nil || len(usage.Choices) != 0 {
		t.Fatalf("second to last event is not a usage chunk: %s", evs[len(evs)-2].raw)
	}
	// Prompt words: "be brief" + "hello there" + "hi" + "say it back".
	if u := *usage.Usage; u.PromptTokens != 8 || u.CompletionTokens != 4 || u.TotalTokens != 12 {
		t.Fatalf("usage %+v", u)
	}
	finish := evs[len(evs)-3].obj
	if len(finish.Choices) != 1 || finish.Choices[0].FinishReason == nil || *finish.Choices[0].FinishReason != "stop" {
		t.Fatalf("no finish chunk before usage: %s", evs[len(evs)-3].raw)
	}
	for _, ev := range evs[:len(evs)-1] {
		if ev.obj.Object != "chat.completion.chunk" || ev.obj.Model != "m1" {
			t.Fatalf("bad chunk %s", ev.raw)
		}
	}

	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	r := reqs[0]
	wantMsgs := []llmtest.Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "hello there"},
		{Role: "assistant", Content: "hi"},
		{Role: "user", Content: "say   it  back"},
	}
	if r.Model != "m1" || !r.Stream || !r.IncludeUsage || r.MaxCompletionTokens != 64 || r.MaxTokens != 0 ||
		r.User != "u-1" || r.Authorization != "Bearer k" || !slices.Equal(r.Messages, wantMsgs) {
		t.Fatalf("recorded %+v", r)
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name       string
		reply      llmtest.Reply
		body       string
		wantStatus int
		check      func(t *testing.T, evs []event)
	}{
		{
			name:  "no usage unless requested",
			reply: llmtest.Reply{Tokens: []string{"a", "b"}},
			body:  `{"model":"m","stream":true,"messages":[]}`,
			check: func(t *testing.T, evs []event) {
				for _, ev := range evs {
					if strings.Contains(ev.raw, "usage") {
						t.Fatalf("usage sent unasked: %s", ev.raw)
					}
				}
			},
		},
		{
			name:  "usage override and finish reason",
			reply: llmtest.Reply{Tokens: []string{"a"}, FinishReason: "length", Usage: &llmtest.Usage{PromptTokens: 7, CompletionTokens: 9}},
			check: func(t *testing.T, evs []event) {
				u := evs[len(evs)-2].obj.Usage
				if u == nil || u.PromptTokens != 7 || u.CompletionTokens != 9 {
					t.Fatalf("usage %s", evs[len(evs)-2].raw)
				}
				if r := evs[len(evs)-3].obj.Choices[0].FinishReason; r == nil || *r != "length" {
					t.Fatalf("finish %s", evs[len(evs)-3].raw)
				}
			},
		},
		{
			name:  "error event after n tokens",
			reply: llmtest.Reply{Tokens: []string{"a", "b", "c"}, ErrorAfter: 2, ErrorMessage: "boom"},
			check: func(t *testing.T, evs []event) {
				if got := contents(evs); !slices.Equal(got, []string{"a", "b"}) {
					t.Fatalf("deltas %q", got)
				}
				last := evs[len(evs)-1]
				if last.done || last.obj.Error == nil || last.obj.Error.Message != "boom" {
					t.Fatalf("last event %s", last.raw)
				}
			},
		},
		{
			name:  "truncate has no finish reason and no done",
			reply: llmtest.Reply{Tokens: []string{"a", "b"}, Truncate: true},
			check: func(t *testing.T, evs []event) {
				for _, ev := range evs {
					if ev.done || strings.Contains(ev.raw, `"finish_reason":"`) {
						t.Fatalf("truncated stream sent %s", ev.raw)
					}
				}
				if got := contents(evs); !slices.Equal(got, []string{"a", "b"}) {
					t.Fatalf("deltas %q", got)
				}
			},
		},
		{
			name:       "fail status with default body",
			reply:      llmtest.Reply{FailStatus: http.StatusTooManyRequests},
			wantStatus: http.StatusTooManyRequests,
		},
		{
			name:       "fail status with raw body",
			reply:      llmtest.Reply{FailStatus: http.StatusBadGateway, FailBody: "<html>bad gateway</html>"},
			wantStatus: http.StatusBadGateway,
		},
		{
			name:       "non-streaming request refused",
			body:       `{"model":"m","messages":[]}`,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "malformed body refused",
			body:       `{"model":`,
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply { return tt.reply }))
			body := tt.body
			if body == "" {
				body = chatBody
			}
			res := post(t, t.Context(), s, body, nil)
			want := tt.wantStatus
			if want == 0 {
				want = http.StatusOK
			}
			if res.StatusCode != want {
				t.Fatalf("status %d, want %d", res.StatusCode, want)
			}
			if tt.check != nil {
				tt.check(t, newReader(t, res.Body).all())
			}
		})
	}
}

func TestAPIKeyRequired(t *testing.T) {
	s := llmtest.NewServer(t, llmtest.WithAPIKey("good"))
	res := post(t, t.Context(), s, chatBody, map[string]string{"Authorization": "Bearer bad-key"})
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "bad-key") {
		t.Fatalf("status %d body %s", res.StatusCode, b)
	}
	res = post(t, t.Context(), s, chatBody, map[string]string{"Authorization": "Bearer good"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d with the right key", res.StatusCode)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	s := llmtest.NewServer(t)
	res, err := s.Client().Get(s.URL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestGateHoldsStreamUntilReleased(t *testing.T) {
	gate := make(chan struct{})
	s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: []string{"a", "b", "c"}, Gate: gate, GateAfter: 2}
	}))
	res := post(t, t.Context(), s, chatBody, nil)
	r := newReader(t, res.Body)
	var got []string
	for len(got) < 2 {
		ev, ok := r.next()
		if !ok {
			t.Fatal("stream ended before the gate")
		}
		got = append(got, contents([]event{ev})...)
	}
	close(gate)
	got = append(got, contents(r.all())...)
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("deltas %q", got)
	}
	if n := s.Aborted(); n != 0 {
		t.Fatalf("aborted %d", n)
	}
}

func TestClientGoneAtGateCountsAsAborted(t *testing.T) {
	tests := []struct {
		name  string
		reply llmtest.Reply
	}{
		{"gate", llmtest.Reply{Tokens: []string{"a", "b"}, Gate: make(chan struct{}), GateAfter: 1}},
		{"hang", llmtest.Reply{Tokens: []string{"a"}, Hang: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply { return tt.reply }))
			ctx, cancel := context.WithCancel(t.Context())
			res := post(t, ctx, s, chatBody, nil)
			r := newReader(t, res.Body)
			for {
				ev, ok := r.next()
				if !ok {
					t.Fatal("stream ended early")
				}
				if len(contents([]event{ev})) > 0 {
					break
				}
			}
			cancel()
			if err := s.WaitAborted(1, safety); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCloseReleasesStalledReplies(t *testing.T) {
	s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Hang: true}
	}))
	res := post(t, t.Context(), s, chatBody, nil)
	s.Close() // must return although the reply hangs
	_, _ = io.ReadAll(res.Body)
	s.Close() // idempotent
	if n := s.Aborted(); n != 0 {
		t.Fatalf("server close counted as %d aborted replies", n)
	}
}

func TestWaitRequests(t *testing.T) {
	s := llmtest.NewServer(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/chat/completions", strings.NewReader(chatBody))
			res, err := s.Client().Do(req)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}()
	reqs, err := s.WaitRequests(3, safety)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	<-done
	if _, err := s.WaitRequests(4, time.Millisecond); err == nil {
		t.Fatal("WaitRequests(4) succeeded with 3 requests")
	}
}

func TestTokenize(t *testing.T) {
	got := llmtest.Tokenize("  hello   big\tworld ")
	if want := []string{"hello", " big", " world"}; !slices.Equal(got, want) {
		t.Fatalf("%q", got)
	}
	if r := (llmtest.Reply{Tokens: got}); r.Text() != "hello big world" {
		t.Fatalf("%q", r.Text())
	}
}

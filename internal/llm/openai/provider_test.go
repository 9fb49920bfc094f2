package openai_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
	"github.com/chatboxhq/chatbox/internal/llm/openai"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// safety bounds the llmtest Wait helpers; it guards against a hung test and
// is never an assertion on speed.
const safety = 10 * time.Second

// testKey is a recognisable fake key; no error may ever contain it.
const testKey = "sk-test-5ecret-K3y-do-not-leak"

// fixed returns a reply function that always answers r.
func fixed(r llmtest.Reply) llmtest.Option {
	return llmtest.WithReply(func(llmtest.Request) llmtest.Reply { return r })
}

// newProvider returns a provider talking to s with testKey.
func newProvider(t testing.TB, s *llmtest.Server, mod ...func(*openai.Options)) *openai.Provider {
	t.Helper()
	opts := openai.Options{Name: "test-openai", BaseURL: s.URL, APIKey: testKey, HTTPClient: s.Client()}
	for _, m := range mod {
		m(&opts)
	}
	p, err := openai.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// request is a minimal valid completion request.
func request(msg string) chat.CompletionRequest {
	return chat.CompletionRequest{Model: "gpt-test", Turns: []chat.Turn{{Role: chat.RoleUser, Content: msg}}}
}

// recorder collects deltas and can fail or act on a chosen call.
type recorder struct {
	deltas []string
	onCall func(n int) error // called with the 1-based call number
}

func (r *recorder) emit(d string) error {
	if r.onCall != nil {
		if err := r.onCall(len(r.deltas) + 1); err != nil {
			return err
		}
	}
	r.deltas = append(r.deltas, d)
	return nil
}

func TestStreamEmitsDeltasInOrderWithServerUsage(t *testing.T) {
	tests := []struct {
		name      string
		reply     llmtest.Reply
		wantUsage chat.Usage
	}{
		{
			name:      "usage from server",
			reply:     llmtest.Reply{Tokens: []string{"Hel", "lo", ",", " wor", "ld", "!"}, Usage: &llmtest.Usage{PromptTokens: 11, CompletionTokens: 6}},
			wantUsage: chat.Usage{InputTokens: 11, OutputTokens: 6},
		},
		{
			name:      "length finish is a complete answer",
			reply:     llmtest.Reply{Tokens: []string{"cut", " short"}, FinishReason: "length", Usage: &llmtest.Usage{PromptTokens: 3, CompletionTokens: 2}},
			wantUsage: chat.Usage{InputTokens: 3, OutputTokens: 2},
		},
		{
			name:      "empty answer",
			reply:     llmtest.Reply{Usage: &llmtest.Usage{PromptTokens: 4}},
			wantUsage: chat.Usage{InputTokens: 4},
		},
		{
			name:      "empty tokens are not emitted",
			reply:     llmtest.Reply{Tokens: []string{"a", "", "b"}, Usage: &llmtest.Usage{PromptTokens: 1, CompletionTokens: 3}},
			wantUsage: chat.Usage{InputTokens: 1, OutputTokens: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("hi"), rec.emit)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(slices.Clone(tt.reply.Tokens), func(s string) bool { return s == "" })
			if !slices.Equal(rec.deltas, want) {
				t.Fatalf("deltas %q, want %q", rec.deltas, want)
			}
			if got.Text != tt.reply.Text() || got.Text != strings.Join(rec.deltas, "") {
				t.Fatalf("text %q, deltas %q", got.Text, rec.deltas)
			}
			if got.Usage != tt.wantUsage {
				t.Fatalf("usage %+v, want %+v", got.Usage, tt.wantUsage)
			}
		})
	}
}

func TestStreamSendsConversation(t *testing.T) {
	turns := []chat.Turn{
		{Role: chat.RoleUser, Content: "first question"},
		{Role: chat.RoleAssistant, Content: "first answer"},
		{Role: chat.RoleUser, Content: "second question"},
	}
	history := []llmtest.Message{
		{Role: "user", Content: "first question"},
		{Role: "assistant", Content: "first answer"},
		{Role: "user", Content: "second question"},
	}
	tests := []struct {
		name       string
		legacy     bool
		req        chat.CompletionRequest
		wantMsgs   []llmtest.Message
		wantMaxCT  int
		wantMaxTok int
	}{
		{
			name:      "system prompt first, max_completion_tokens, user",
			req:       chat.CompletionRequest{Model: "gpt-x", System: "You are terse.", Turns: turns, MaxOutputTokens: 256, User: "user-42"},
			wantMsgs:  append([]llmtest.Message{{Role: "system", Content: "You are terse."}}, history...),
			wantMaxCT: 256,
		},
		{
			name:       "legacy max_tokens",
			legacy:     true,
			req:        chat.CompletionRequest{Model: "llama3", System: "sys", Turns: turns, MaxOutputTokens: 100, User: "u"},
			wantMsgs:   append([]llmtest.Message{{Role: "system", Content: "sys"}}, history...),
			wantMaxTok: 100,
		},
		{
			name:     "no system prompt, no limit, no user",
			req:      chat.CompletionRequest{Model: "gpt-x", Turns: turns},
			wantMsgs: history,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			p := newProvider(t, s, func(o *openai.Options) { o.LegacyMaxTokens = tt.legacy })
			got, err := p.Stream(t.Context(), tt.req, func(string) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if want := "echo: second question"; got.Text != want {
				t.Fatalf("text %q, want %q", got.Text, want)
			}
			reqs := s.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if !slices.Equal(r.Messages, tt.wantMsgs) {
				t.Fatalf("messages %+v, want %+v", r.Messages, tt.wantMsgs)
			}
			if r.Model != tt.req.Model || r.User != tt.req.User || !r.Stream || !r.IncludeUsage {
				t.Fatalf("model %q user %q stream %v include_usage %v", r.Model, r.User, r.Stream, r.IncludeUsage)
			}
			if r.MaxCompletionTokens != tt.wantMaxCT || r.MaxTokens != tt.wantMaxTok {
				t.Fatalf("max_completion_tokens %d max_tokens %d, want %d and %d",
					r.MaxCompletionTokens, r.MaxTokens, tt.wantMaxCT, tt.wantMaxTok)
			}
			if r.Authorization != "Bearer "+testKey {
				t.Fatalf("authorization %q", r.Authorization)
			}
		})
	}
}

func TestAPIKeyIsNeverInErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply llmtest.Reply
		check func(t *testing.T, err error)
	}{
		{
			name:  "401 echoing the key",
			reply: llmtest.Reply{FailStatus: 401, FailBody: `{"error":{"message":"Incorrect API key provided: ` + testKey + `.","type":"invalid_request_error","code":"invalid_api_key"}}`},
			check: wantStatus(401, "Incorrect API key provided: [redacted]."),
		},
		{
			name:  "plain text body with the key",
			reply: llmtest.Reply{FailStatus: 403, FailBody: "forbidden for key " + testKey},
			check: wantStatus(403, "forbidden for key [redacted]"),
		},
		{
			name:  "key at the cut of a long body",
			reply: llmtest.Reply{FailStatus: 500, FailBody: strings.Repeat("x", 290) + testKey + strings.Repeat("y", 100)},
			check: wantStatus(500, strings.Repeat("x", 290)+"[redac"),
		},
		{
			name:  "error event with the key",
			reply: llmtest.Reply{Tokens: []string{"a"}, ErrorAfter: 1, ErrorMessage: "bad token " + testKey},
			check: func(t *testing.T, err error) {
				var apiErr *openai.APIError
				if !errors.As(err, &apiErr) || apiErr.Message != "bad token [redacted]" {
					t.Fatalf("error %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			_, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
			if err == nil {
				t.Fatal("no error")
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(text, testKey) {
					t.Fatalf("error text contains the API key: %s", text)
				}
			}
			tt.check(t, err)
		})
	}
}

func TestWrongKeyAgainstServerRequiringOne(t *testing.T) {
	s := llmtest.NewServer(t, llmtest.WithAPIKey("sk-the-right-one"))
	p := newProvider(t, s) // sends testKey, which the server echoes in its 401
	_, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
	if err == nil || strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("error %v", err)
	}
	if got := s.Requests()[0].Authorization; got != "Bearer "+testKey {
		t.Fatalf("authorization %q", got)
	}
}

// wantStatus checks for an APIError with that status and message, and an
// error text naming both.
func wantStatus(status int, message string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var apiErr *openai.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("error %T %v is not an *APIError", err, err)
		}
		if apiErr.StatusCode != status || !strings.HasPrefix(apiErr.Message, message) {
			t.Fatalf("status %d message %q, want %d and %q", apiErr.StatusCode, apiErr.Message, status, message)
		}
		if !strings.Contains(err.Error(), fmt.Sprint(status)) || !strings.Contains(err.Error(), apiErr.Message) {
			t.Fatalf("error text %q lacks the status or the message", err)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name   string
		reply  llmtest.Reply
		status int
		msg    string
		code   string
	}{
		{"401", llmtest.Reply{FailStatus: 401, FailBody: `{"error":{"message":"Invalid auth","type":"invalid_request_error","code":"invalid_api_key"}}`}, 401, "Invalid auth", "invalid_api_key"},
		{"429", llmtest.Reply{FailStatus: 429, FailBody: `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`}, 429, "Rate limit reached", "rate_limit_exceeded"},
		{"500 default body", llmtest.Reply{FailStatus: 500}, 500, "llmtest: injected failure", ""},
		{"404 bare string error (Ollama)", llmtest.Reply{FailStatus: 404, FailBody: `{"error":"model \"llama9\" not found"}`}, 404, `model "llama9" not found`, ""},
		{"400 top-level message (vLLM)", llmtest.Reply{FailStatus: 400, FailBody: `{"object":"error","message":"max_tokens too large","type":"BadRequestError","code":400}`}, 400, "max_tokens too large", "400"},
		{"502 html from a proxy", llmtest.Reply{FailStatus: 502, FailBody: "<html>\n<body>Bad   Gateway</body>\n</html>"}, 502, "<html> <body>Bad Gateway</body> </html>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("hi"), rec.emit)
			wantStatus(tt.status, tt.msg)(t, err)
			var apiErr *openai.APIError
			errors.As(err, &apiErr)
			if apiErr.Code != tt.code || apiErr.Provider != "test-openai" {
				t.Fatalf("code %q provider %q", apiErr.Code, apiErr.Provider)
			}
			if got.Text != "" || len(rec.deltas) != 0 {
				t.Fatalf("text %q deltas %q", got.Text, rec.deltas)
			}
			// Retries are off: a retried stream could duplicate output.
			if n := len(s.Requests()); n != 1 {
				t.Fatalf("%d requests, want exactly 1 (no retries)", n)
			}
		})
	}
}

func TestStreamFailuresKeepPartialText(t *testing.T) {
	tokens := []string{"one", " two", " three", " four"}
	tests := []struct {
		name     string
		reply    llmtest.Reply
		wantText string
		check    func(t *testing.T, err error)
	}{
		{
			name:     "error event after 2 tokens",
			reply:    llmtest.Reply{Tokens: tokens, ErrorAfter: 2, ErrorMessage: "model overloaded"},
			wantText: "one two",
			check: func(t *testing.T, err error) {
				var apiErr *openai.APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 0 || apiErr.Message != "model overloaded" {
					t.Fatalf("error %v", err)
				}
				if !strings.Contains(err.Error(), "model overloaded") {
					t.Fatalf("error text %q", err)
				}
			},
		},
		{
			name:     "error event before any token",
			reply:    llmtest.Reply{Tokens: tokens, ErrorMessage: "nope"},
			wantText: "",
			check: func(t *testing.T, err error) {
				var apiErr *openai.APIError
				if !errors.As(err, &apiErr) || apiErr.Message != "nope" {
					t.Fatalf("error %v", err)
				}
			},
		},
		{
			name:     "truncated stream",
			reply:    llmtest.Reply{Tokens: tokens, Truncate: true},
			wantText: "one two three four",
			check: func(t *testing.T, err error) {
				if !errors.Is(err, openai.ErrTruncated) {
					t.Fatalf("error %v, want ErrTruncated", err)
				}
			},
		},
		{
			name:     "truncated before any token",
			reply:    llmtest.Reply{Truncate: true},
			wantText: "",
			check: func(t *testing.T, err error) {
				if !errors.Is(err, openai.ErrTruncated) {
					t.Fatalf("error %v, want ErrTruncated", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("hi"), rec.emit)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if got.Text != tt.wantText || got.Text != strings.Join(rec.deltas, "") {
				t.Fatalf("text %q deltas %q, want %q", got.Text, rec.deltas, tt.wantText)
			}
		})
	}
}

func TestContextCancelStopsHangingStream(t *testing.T) {
	tests := []struct {
		name     string
		reply    llmtest.Reply
		wantText string
	}{
		{"after a token", llmtest.Reply{Tokens: []string{"partial"}, Hang: true}, "partial"},
		{"before any token", llmtest.Reply{Hang: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// Cancel once the server holds the request and the client has
			// seen every token it will get; the stream then hangs until
			// the cancellation reaches it.
			go func() {
				if _, err := s.WaitRequests(1, safety); err == nil {
					cancel()
				}
			}()
			var rec recorder
			got, err := p.Stream(ctx, request("hi"), rec.emit)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			// The cancel may land before the token is read; whatever was
			// emitted must be what the completion holds.
			if got.Text != strings.Join(rec.deltas, "") || !strings.HasPrefix(tt.wantText, got.Text) {
				t.Fatalf("text %q deltas %q", got.Text, rec.deltas)
			}
			if err := s.WaitAborted(1, safety); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestContextCancelledFromEmit(t *testing.T) {
	s := llmtest.NewServer(t, fixed(llmtest.Reply{Tokens: []string{"a", "b"}, Hang: true}))
	p := newProvider(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rec := recorder{onCall: func(n int) error {
		if n == 2 {
			cancel()
		}
		return nil
	}}
	got, err := p.Stream(ctx, request("hi"), rec.emit)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if got.Text != "ab" {
		t.Fatalf("text %q", got.Text)
	}
}

func TestEmitErrorStopsStream(t *testing.T) {
	errStop := errors.New("client gone")
	gate := make(chan struct{}) // never released: only the client can end the reply
	s := llmtest.NewServer(t, fixed(llmtest.Reply{Tokens: []string{"a", "b", "c", "d"}, Gate: gate, GateAfter: 3}))
	p := newProvider(t, s)
	calls := 0
	rec := recorder{onCall: func(n int) error {
		calls = n
		if n == 2 {
			return errStop
		}
		return nil
	}}
	got, err := p.Stream(t.Context(), request("hi"), rec.emit)
	if err != errStop {
		t.Fatalf("error %v, want the emit error itself", err)
	}
	if calls != 2 {
		t.Fatalf("emit called %d times after failing on call 2", calls)
	}
	if got.Text != "a" {
		t.Fatalf("text %q, want the text emit accepted", got.Text)
	}
	// Stream closed the response, so the server sees the client leave.
	if err := s.WaitAborted(1, safety); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentStreams(t *testing.T) {
	s := llmtest.NewServer(t)
	p := newProvider(t, s)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			msg := fmt.Sprintf("message number %d", i)
			got, err := p.Stream(t.Context(), request(msg), func(string) error { return nil })
			if err == nil && got.Text != "echo: "+msg {
				err = fmt.Errorf("text %q", got.Text)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidRequestsAreNotSent(t *testing.T) {
	tests := []struct {
		name string
		req  chat.CompletionRequest
	}{
		{"no model", chat.CompletionRequest{Turns: []chat.Turn{{Role: chat.RoleUser, Content: "x"}}}},
		{"unknown role", chat.CompletionRequest{Model: "m", Turns: []chat.Turn{{Role: "tool", Content: "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			p := newProvider(t, s)
			_, err := p.Stream(t.Context(), tt.req, func(string) error { return nil })
			if !errors.Is(err, chat.ErrInvalid) {
				t.Fatalf("error %v, want chat.ErrInvalid", err)
			}
			if n := len(s.Requests()); n != 0 {
				t.Fatalf("%d requests sent", n)
			}
		})
	}
}

func TestUnreachableServer(t *testing.T) {
	s := llmtest.NewServer(t)
	p := newProvider(t, s)
	s.Close()
	got, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
	if err == nil || got.Text != "" {
		t.Fatalf("text %q error %v", got.Text, err)
	}
	if strings.Contains(err.Error(), testKey) || !strings.HasPrefix(err.Error(), "openai: ") {
		t.Fatalf("error %q", err)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		opts     openai.Options
		wantErr  bool
		wantName string
	}{
		{"defaults", openai.Options{}, false, "openai"},
		{"named compatible server", openai.Options{Name: "ollama", BaseURL: "http://localhost:11434/v1"}, false, "ollama"},
		{"relative URL", openai.Options{BaseURL: "localhost:11434/v1"}, true, ""},
		{"unsupported scheme", openai.Options{BaseURL: "ftp://example.com/v1"}, true, ""},
		{"unparsable URL", openai.Options{BaseURL: "http://user:" + testKey + "@[::1"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := openai.New(tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				if strings.Contains(err.Error(), testKey) {
					t.Fatalf("error leaks the URL's secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != tt.wantName {
				t.Fatalf("name %q", p.Name())
			}
		})
	}
}

// Compile-time check that Provider satisfies the domain interface.
var _ chat.Provider = (*openai.Provider)(nil)

func TestEnvironmentIsIgnored(t *testing.T) {
	// The SDK's NewClient would pick these up; a key for the official API
	// must never be sent to a keyless local server.
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-Leak: yes")
	s := llmtest.NewServer(t)
	p := newProvider(t, s, func(o *openai.Options) { o.APIKey = "" })
	if _, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.Authorization != "" {
		t.Fatalf("authorization %q sent without a configured key", r.Authorization)
	}
	if v := r.Header.Get("X-Leak"); v != "" {
		t.Fatalf("header from the environment sent: X-Leak: %s", v)
	}
}

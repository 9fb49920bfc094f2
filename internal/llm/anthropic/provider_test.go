package anthropic_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
	"github.com/chatboxhq/chatbox/internal/llm/anthropic"
	"github.com/chatboxhq/chatbox/internal/llm/anthropictest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// safety bounds waits; it guards against hung tests, never asserts speed.
const safety = 10 * time.Second

// testKey is a recognisable fake key; no error may ever contain it.
const testKey = "sk-ant-test-5ecret-K3y-do-not-leak"

func fixed(r anthropictest.Reply) anthropictest.Option {
	return anthropictest.WithReply(func(anthropictest.Request) anthropictest.Reply { return r })
}

func newProvider(t testing.TB, s *anthropictest.Server, mod ...func(*anthropic.Options)) *anthropic.Provider {
	t.Helper()
	opts := anthropic.Options{Name: "test-claude", BaseURL: s.URL, APIKey: testKey, HTTPClient: s.Client()}
	for _, m := range mod {
		m(&opts)
	}
	p, err := anthropic.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(msg string) chat.CompletionRequest {
	return chat.CompletionRequest{Model: "claude-test", Turns: []chat.Turn{{Role: chat.RoleUser, Content: msg}}}
}

// recorder collects deltas and can act on a chosen call.
type recorder struct {
	deltas []string
	onCall func(n int) error // 1-based call number
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

var _ chat.Provider = (*anthropic.Provider)(nil)

func TestStreamEmitsDeltasInOrderWithServerUsage(t *testing.T) {
	tests := []struct {
		name      string
		reply     anthropictest.Reply
		wantUsage chat.Usage
	}{
		{"usage from message_start and message_delta",
			anthropictest.Reply{Tokens: []string{"Hel", "lo", ",", " wor", "ld"}, Usage: &anthropictest.Usage{InputTokens: 11, OutputTokens: 5}},
			chat.Usage{InputTokens: 11, OutputTokens: 5}},
		{"cache tokens count as input",
			anthropictest.Reply{Tokens: []string{"ok"}, Usage: &anthropictest.Usage{InputTokens: 3, CacheCreationInputTokens: 100, CacheReadInputTokens: 900, OutputTokens: 1}},
			chat.Usage{InputTokens: 1003, OutputTokens: 1}},
		{"max_tokens stop is a complete answer",
			anthropictest.Reply{Tokens: []string{"cut", " short"}, StopReason: "max_tokens", Usage: &anthropictest.Usage{InputTokens: 2, OutputTokens: 2}},
			chat.Usage{InputTokens: 2, OutputTokens: 2}},
		{"empty answer",
			anthropictest.Reply{Usage: &anthropictest.Usage{InputTokens: 4}},
			chat.Usage{InputTokens: 4}},
		{"empty tokens are not emitted",
			anthropictest.Reply{Tokens: []string{"a", "", "b"}, Usage: &anthropictest.Usage{InputTokens: 1, OutputTokens: 3}},
			chat.Usage{InputTokens: 1, OutputTokens: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := anthropictest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("hi"), rec.emit)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(slices.Clone(tt.reply.Tokens), func(s string) bool { return s == "" })
			if !slices.Equal(rec.deltas, want) || got.Text != tt.reply.Text() {
				t.Fatalf("deltas %q text %q, want %q", rec.deltas, got.Text, want)
			}
			if got.Usage != tt.wantUsage {
				t.Fatalf("usage %+v, want %+v", got.Usage, tt.wantUsage)
			}
		})
	}
}

func TestStreamSendsConversation(t *testing.T) {
	tests := []struct {
		name          string
		req           chat.CompletionRequest
		wantSystem    string
		wantMsgs      []anthropictest.Message
		wantMaxTokens int
		wantUser      bool
	}{
		{
			name: "system field, alternating roles, explicit limit, opaque user",
			req: chat.CompletionRequest{Model: "claude-x", System: "You are terse.", MaxOutputTokens: 256, User: "alice@example.com", Turns: []chat.Turn{
				{Role: chat.RoleUser, Content: "first question"},
				{Role: chat.RoleAssistant, Content: "first answer"},
				{Role: chat.RoleUser, Content: "second question"},
			}},
			wantSystem: "You are terse.",
			wantMsgs: []anthropictest.Message{
				{Role: "user", Content: "first question"},
				{Role: "assistant", Content: "first answer"},
				{Role: "user", Content: "second question"},
			},
			wantMaxTokens: 256,
			wantUser:      true,
		},
		{
			name: "same-role turns merged, leading assistant dropped, default limit",
			req: chat.CompletionRequest{Model: "claude-x", Turns: []chat.Turn{
				{Role: chat.RoleAssistant, Content: "welcome"},
				{Role: chat.RoleUser, Content: "one"},
				{Role: chat.RoleUser, Content: "two"},
				{Role: chat.RoleAssistant, Content: "a"},
				{Role: chat.RoleAssistant, Content: ""},
				{Role: chat.RoleAssistant, Content: "b"},
				{Role: chat.RoleUser, Content: "three"},
			}},
			wantMsgs: []anthropictest.Message{
				{Role: "user", Content: "one\n\ntwo"},
				{Role: "assistant", Content: "a\n\nb"},
				{Role: "user", Content: "three"},
			},
			wantMaxTokens: anthropic.DefaultMaxTokens,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := anthropictest.NewServer(t)
			p := newProvider(t, s)
			if _, err := p.Stream(t.Context(), tt.req, func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
			r := s.Requests()[0]
			if r.System != tt.wantSystem || !slices.Equal(r.Messages, tt.wantMsgs) {
				t.Fatalf("system %q messages %+v, want %q %+v", r.System, r.Messages, tt.wantSystem, tt.wantMsgs)
			}
			if r.Model != tt.req.Model || r.MaxTokens != tt.wantMaxTokens || !r.Stream {
				t.Fatalf("model %q max_tokens %d stream %v", r.Model, r.MaxTokens, r.Stream)
			}
			if r.APIKey != testKey || r.Version == "" {
				t.Fatalf("key %q version %q", r.APIKey, r.Version)
			}
			if tt.wantUser && (r.UserID == "" || strings.Contains(r.UserID, "alice")) {
				t.Fatalf("metadata.user_id %q: want an opaque id derived from the user", r.UserID)
			}
			if !tt.wantUser && r.UserID != "" {
				t.Fatalf("metadata.user_id %q without a user", r.UserID)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	retryAfter := http.Header{"Retry-After": {"17"}}
	tests := []struct {
		name      string
		reply     anthropictest.Reply
		status    int
		typ       string
		msg       string
		wantRetry bool
		wantAfter time.Duration
	}{
		{"429 with Retry-After", anthropictest.Reply{FailStatus: 429, Header: retryAfter}, 429, "rate_limit_error", "anthropictest: injected failure", true, 17 * time.Second},
		{"429 with retry-after-ms", anthropictest.Reply{FailStatus: 429, Header: http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"2"}}}, 429, "rate_limit_error", "anthropictest: injected failure", true, 1500 * time.Millisecond},
		{"500", anthropictest.Reply{FailStatus: 500}, 500, "api_error", "anthropictest: injected failure", true, 0},
		{"529 overloaded with Retry-After", anthropictest.Reply{FailStatus: 529, Header: retryAfter}, 529, "overloaded_error", "anthropictest: injected failure", true, 17 * time.Second},
		{"401 bad key", anthropictest.Reply{FailStatus: 401}, 401, "authentication_error", "anthropictest: injected failure", true, 0},
		{"400 blames the request", anthropictest.Reply{FailStatus: 400, FailType: "invalid_request_error"}, 400, "invalid_request_error", "anthropictest: injected failure", false, 0},
		{"502 html from a proxy", anthropictest.Reply{FailStatus: 502, FailBody: "<html>\n<body>Bad   Gateway</body>\n</html>"}, 502, "", "<html> <body>Bad Gateway</body> </html>", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := anthropictest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("hi"), rec.emit)
			var apiErr *llm.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T %v is not an *llm.Error", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.InStream || apiErr.Type != tt.typ || apiErr.Message != tt.msg || apiErr.Provider != "test-claude" {
				t.Fatalf("error %+v, want status %d type %q message %q", apiErr, tt.status, tt.typ, tt.msg)
			}
			if retry, after := llm.Retryable(err); retry != tt.wantRetry || after != tt.wantAfter {
				t.Fatalf("Retryable = (%v, %v), want (%v, %v)", retry, after, tt.wantRetry, tt.wantAfter)
			}
			if got.Text != "" || len(rec.deltas) != 0 {
				t.Fatalf("text %q deltas %q", got.Text, rec.deltas)
			}
			if n := len(s.Requests()); n != 1 {
				t.Fatalf("%d requests, want exactly 1 (no retries)", n)
			}
		})
	}
}

func TestStreamFailuresKeepPartialText(t *testing.T) {
	tokens := []string{"one", " two", " three", " four"}
	tests := []struct {
		name      string
		reply     anthropictest.Reply
		wantText  string
		wantRetry bool
		check     func(t *testing.T, err error)
	}{
		{
			name:      "overloaded error event after 2 tokens",
			reply:     anthropictest.Reply{Tokens: tokens, ErrorAfter: 2, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"},
			wantText:  "one two",
			wantRetry: true,
			check:     wantEvent("overloaded_error", "Overloaded"),
		},
		{
			name:      "error event before any token",
			reply:     anthropictest.Reply{Tokens: tokens, ErrorType: "api_error", ErrorMessage: "internal"},
			wantRetry: true,
			check:     wantEvent("api_error", "internal"),
		},
		{
			name:     "invalid request event is final",
			reply:    anthropictest.Reply{ErrorType: "invalid_request_error", ErrorMessage: "prompt is too long"},
			check:    wantEvent("invalid_request_error", "prompt is too long"),
			wantText: "",
		},
		{
			name:      "connection dropped mid-stream",
			reply:     anthropictest.Reply{Tokens: tokens, Drop: true},
			wantText:  "one two three four",
			wantRetry: true,
			check: func(t *testing.T, err error) {
				if !strings.HasPrefix(err.Error(), "anthropic: ") {
					t.Fatalf("error %q", err)
				}
			},
		},
		{
			name:      "clean end without message_stop",
			reply:     anthropictest.Reply{Tokens: tokens, Truncate: true},
			wantText:  "one two three four",
			wantRetry: true,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, anthropic.ErrTruncated) {
					t.Fatalf("error %v, want ErrTruncated", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := anthropictest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("hi"), rec.emit)
			if err == nil {
				t.Fatal("no error: a failed stream must never look like a complete answer")
			}
			tt.check(t, err)
			if retry, _ := llm.Retryable(err); retry != tt.wantRetry {
				t.Fatalf("Retryable = %v, want %v (%v)", retry, tt.wantRetry, err)
			}
			if got.Text != tt.wantText || got.Text != strings.Join(rec.deltas, "") {
				t.Fatalf("text %q deltas %q, want %q", got.Text, rec.deltas, tt.wantText)
			}
			if got.Usage.InputTokens == 0 && tt.wantText != "" {
				t.Fatalf("usage %+v: input reported in message_start was lost", got.Usage)
			}
		})
	}
}

func wantEvent(typ, msg string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var apiErr *llm.Error
		if !errors.As(err, &apiErr) || !apiErr.InStream || apiErr.Type != typ || apiErr.Message != msg {
			t.Fatalf("error %#v, want an in-stream %s %q", err, typ, msg)
		}
		if !strings.Contains(err.Error(), msg) {
			t.Fatalf("error text %q lacks the provider's message", err)
		}
	}
}

func TestSlowFirstByte(t *testing.T) {
	t.Run("answered once the server starts", func(t *testing.T) {
		hold := make(chan struct{})
		s := anthropictest.NewServer(t, fixed(anthropictest.Reply{Tokens: []string{"late"}, HoldHeaders: hold}))
		p := newProvider(t, s)
		go func() {
			if _, err := s.WaitRequests(1, safety); err == nil {
				close(hold)
			}
		}()
		got, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
		if err != nil || got.Text != "late" {
			t.Fatalf("text %q error %v", got.Text, err)
		}
	})
	t.Run("deadline before the first byte", func(t *testing.T) {
		s := anthropictest.NewServer(t, fixed(anthropictest.Reply{Tokens: []string{"never"}, HoldHeaders: make(chan struct{})}))
		p := newProvider(t, s)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		got, err := p.Stream(ctx, request("hi"), func(string) error { return nil })
		if !errors.Is(err, context.DeadlineExceeded) || got.Text != "" {
			t.Fatalf("text %q error %v, want DeadlineExceeded", got.Text, err)
		}
		// The request was aborted upstream, not left running.
		if err := s.WaitAborted(1, safety); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCancellation(t *testing.T) {
	tests := []struct {
		name  string
		reply anthropictest.Reply
	}{
		{"after a token", anthropictest.Reply{Tokens: []string{"partial"}, Hang: true}},
		{"before any token", anthropictest.Reply{Hang: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := anthropictest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
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
			if retry, _ := llm.Retryable(err); retry {
				t.Fatal("a cancelled reply is classified as retryable")
			}
			if got.Text != strings.Join(rec.deltas, "") || !strings.HasPrefix(tt.reply.Text(), got.Text) {
				t.Fatalf("text %q deltas %q", got.Text, rec.deltas)
			}
			if err := s.WaitAborted(1, safety); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEmitErrorStopsStream(t *testing.T) {
	errStop := errors.New("client gone")
	s := anthropictest.NewServer(t, fixed(anthropictest.Reply{Tokens: []string{"a", "b", "c"}, Gate: make(chan struct{}), GateAfter: 2}))
	p := newProvider(t, s)
	rec := recorder{onCall: func(n int) error {
		if n == 2 {
			return errStop
		}
		return nil
	}}
	got, err := p.Stream(t.Context(), request("hi"), rec.emit)
	if err != errStop || got.Text != "a" {
		t.Fatalf("text %q error %v, want %q and the emit error itself", got.Text, err, "a")
	}
	if err := s.WaitAborted(1, safety); err != nil {
		t.Fatal(err)
	}
}

func TestAPIKeyIsNeverInErrors(t *testing.T) {
	s := anthropictest.NewServer(t, anthropictest.WithAPIKey("sk-ant-the-right-one"))
	p := newProvider(t, s) // sends testKey, which the server echoes in its 401
	_, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
	if err == nil {
		t.Fatal("no error")
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(text, testKey) {
			t.Fatalf("error text contains the API key: %s", text)
		}
	}
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error %q", err)
	}
}

func TestUnreachableServerIsRetryable(t *testing.T) {
	s := anthropictest.NewServer(t)
	p := newProvider(t, s)
	s.Close()
	_, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "anthropic: ") || strings.Contains(err.Error(), testKey) {
		t.Fatalf("error %v", err)
	}
	if retry, _ := llm.Retryable(err); !retry {
		t.Fatalf("a refused connection is not retryable: %v", err)
	}
}

func TestInvalidRequestsAreNotSent(t *testing.T) {
	tests := []struct {
		name string
		req  chat.CompletionRequest
	}{
		{"no model", chat.CompletionRequest{Turns: []chat.Turn{{Role: chat.RoleUser, Content: "x"}}}},
		{"unknown role", chat.CompletionRequest{Model: "m", Turns: []chat.Turn{{Role: "tool", Content: "x"}}}},
		{"no user turn", chat.CompletionRequest{Model: "m", Turns: []chat.Turn{{Role: chat.RoleAssistant, Content: "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := anthropictest.NewServer(t)
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

func TestBaseURL(t *testing.T) {
	s := anthropictest.NewServer(t)
	for _, base := range []string{s.URL, s.URL + "/", s.URL + "/v1", s.URL + "/v1/"} {
		p := newProvider(t, s, func(o *anthropic.Options) { o.BaseURL = base })
		if _, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil }); err != nil {
			t.Errorf("base %q: %v", base, err)
		}
	}
	for _, base := range []string{"localhost:8080", "ftp://example.com", "http://user:" + testKey + "@[::1"} {
		_, err := anthropic.New(anthropic.Options{BaseURL: base})
		if err == nil || strings.Contains(err.Error(), testKey) {
			t.Errorf("base %q: error %v", base, err)
		}
	}
	p, err := anthropic.New(anthropic.Options{})
	if err != nil || p.Name() != anthropic.DefaultName {
		t.Fatalf("defaults: %v %v", p, err)
	}
}

func TestEnvironmentIsIgnored(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-Leak: yes")
	s := anthropictest.NewServer(t)
	p := newProvider(t, s, func(o *anthropic.Options) { o.APIKey = "" })
	if _, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.APIKey != "" || r.Header.Get("X-Leak") != "" {
		t.Fatalf("key %q / X-Leak %q taken from the environment", r.APIKey, r.Header.Get("X-Leak"))
	}
}

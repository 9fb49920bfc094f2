package dify_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
	"github.com/chatboxhq/chatbox/internal/llm/dify"
	"github.com/chatboxhq/chatbox/internal/llm/difytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	safety  = 10 * time.Second // guards against hung tests, never asserts speed
	testKey = "app-test-5ecret-K3y-do-not-leak"
)

var _ chat.Provider = (*dify.Provider)(nil)

func fixed(r difytest.Reply) difytest.Option {
	return difytest.WithReply(func(difytest.Request) difytest.Reply { return r })
}

func newProvider(t testing.TB, s *difytest.Server) *dify.Provider {
	t.Helper()
	p, err := dify.New(dify.Options{Name: "test-dify", BaseURL: s.URL, APIKey: testKey, HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(user string, turns ...string) chat.CompletionRequest {
	req := chat.CompletionRequest{Model: "dify-app", System: "ignored by Dify", User: user}
	for i, c := range turns {
		role := chat.RoleUser
		if i%2 == 1 {
			role = chat.RoleAssistant
		}
		req.Turns = append(req.Turns, chat.Turn{Role: role, Content: c})
	}
	return req
}

type recorder struct {
	deltas []string
	onCall func(n int) error
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

func TestStreamEmitsAnswerWithServerUsage(t *testing.T) {
	tests := []struct {
		name      string
		reply     difytest.Reply
		wantUsage chat.Usage
	}{
		{"chat app", difytest.Reply{Tokens: []string{"Hel", "lo", "!"}, Usage: &difytest.Usage{PromptTokens: 1033, CompletionTokens: 135}},
			chat.Usage{InputTokens: 1033, OutputTokens: 135}},
		{"agent app", difytest.Reply{Tokens: []string{"I", " think"}, Agent: true, Usage: &difytest.Usage{PromptTokens: 9, CompletionTokens: 2}},
			chat.Usage{InputTokens: 9, OutputTokens: 2}},
		{"empty answer", difytest.Reply{Usage: &difytest.Usage{PromptTokens: 4}}, chat.Usage{InputTokens: 4}},
		{"replacement before any token is the answer", difytest.Reply{Replace: "I cannot help with that.", Usage: &difytest.Usage{PromptTokens: 2}},
			chat.Usage{InputTokens: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := difytest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("u1", "hi"), rec.emit)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.reply.Text() + tt.reply.Replace
			if got.Text != want || strings.Join(rec.deltas, "") != want {
				t.Fatalf("text %q deltas %q, want %q", got.Text, rec.deltas, want)
			}
			if got.Usage != tt.wantUsage {
				t.Fatalf("usage %+v, want %+v", got.Usage, tt.wantUsage)
			}
		})
	}
}

func TestRequestShape(t *testing.T) {
	s := difytest.NewServer(t)
	p := newProvider(t, s)
	if _, err := p.Stream(t.Context(), request("alice@example.com", "hello there"), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.Query != "hello there" || r.User != "alice@example.com" || r.ResponseMode != "streaming" || r.ConversationID != "" {
		t.Fatalf("request %+v", r)
	}
	if r.Inputs == nil || len(r.Inputs) != 0 || r.AutoGenerateName == nil || *r.AutoGenerateName {
		t.Fatalf("inputs %v auto_generate_name %v", r.Inputs, r.AutoGenerateName)
	}
	if r.APIKey != testKey {
		t.Fatalf("key %q", r.APIKey)
	}
	if strings.Contains(string(r.Body), "ignored by Dify") {
		t.Fatal("the system prompt was sent; a Dify app owns its prompt")
	}

	// Dify requires a user; a request without one still gets an answer.
	if _, err := p.Stream(t.Context(), request("", "hi"), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if u := s.Requests()[1].User; u == "" {
		t.Fatal("empty user sent")
	}
}

func TestConversationIDRoundTrip(t *testing.T) {
	s := difytest.NewServer(t, difytest.WithReply(func(r difytest.Request) difytest.Reply {
		return difytest.Reply{Tokens: []string{"ok"}, ConversationID: "conv-from-dify"}
	}))
	p := newProvider(t, s)
	convs := chat.NewConversationMap(nil)
	first := request("u1", "first")
	first.Conversations = convs

	// First reply: Dify starts a conversation and the provider reports it.
	if _, err := p.Stream(t.Context(), first, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := convs.Changed(); !maps.Equal(got, map[string]string{"test-dify": "conv-from-dify"}) {
		t.Fatalf("reported %v", got)
	}
	// Second reply: the id goes back, and only the new question, since
	// Dify remembers the rest.
	stored := chat.NewConversationMap(map[string]string{"test-dify": "conv-from-dify"})
	second := request("u1", "first", "ok", "second")
	second.Conversations = stored
	if _, err := p.Stream(t.Context(), second, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[1]
	if r.ConversationID != "conv-from-dify" || r.Query != "second" {
		t.Fatalf("conversation %q query %q", r.ConversationID, r.Query)
	}
	if got := stored.Changed(); len(got) != 0 {
		t.Fatalf("an unchanged id was reported again: %v", got)
	}
}

func TestForgottenConversationStartsANewOne(t *testing.T) {
	s := difytest.NewServer(t)
	p := newProvider(t, s)
	convs := chat.NewConversationMap(map[string]string{"test-dify": "conv-deleted", "other-dify": "conv-other"})
	req := request("u1", "what is 2+2?", "4", "and times 3?")
	req.Conversations = convs
	var rec recorder
	got, err := p.Stream(t.Context(), req, rec.emit)
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].ConversationID != "conv-deleted" || reqs[1].ConversationID != "" {
		t.Fatalf("requests %+v", reqs)
	}
	// The new conversation gets the history the forgotten one had.
	want := "Earlier in this conversation:\nUser: what is 2+2?\nAssistant: 4\n\nThe user's new message:\nand times 3?"
	if reqs[1].Query != want {
		t.Fatalf("query %q, want %q", reqs[1].Query, want)
	}
	changed := convs.Changed()
	if len(changed) != 1 || changed["test-dify"] == "" || !s.Knows(changed["test-dify"]) {
		t.Fatalf("changed %v", changed)
	}
	if !strings.HasPrefix(got.Text, "echo: Earlier in this conversation:") || got.Text != strings.Join(rec.deltas, "") {
		t.Fatalf("text %q deltas %q", got.Text, rec.deltas)
	}
}

func TestNoConversationsInContext(t *testing.T) {
	s := difytest.NewServer(t)
	p := newProvider(t, s)
	for range 2 {
		if _, err := p.Stream(t.Context(), request("u1", "q1", "a1", "q2"), func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range s.Requests() {
		if r.ConversationID != "" || !strings.Contains(r.Query, "User: q1\nAssistant: a1") {
			t.Fatalf("request %+v", r)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name      string
		reply     difytest.Reply
		status    int
		code      string
		msg       string
		wantRetry bool
		wantAfter time.Duration
	}{
		{"429 with Retry-After", difytest.Reply{FailStatus: 429, Header: http.Header{"Retry-After": {"30"}}}, 429, "too_many_requests", "difytest: injected failure", true, 30 * time.Second},
		{"500", difytest.Reply{FailStatus: 500}, 500, "internal_server_error", "difytest: injected failure", true, 0},
		{"503 with Retry-After", difytest.Reply{FailStatus: 503, Header: http.Header{"Retry-After": {"5"}}}, 503, "internal_server_error", "difytest: injected failure", true, 5 * time.Second},
		{"400 invalid_param is final", difytest.Reply{FailStatus: 400, FailCode: "invalid_param"}, 400, "invalid_param", "difytest: injected failure", false, 0},
		{"400 quota exceeded is the app's", difytest.Reply{FailStatus: 400, FailCode: "provider_quota_exceeded"}, 400, "provider_quota_exceeded", "difytest: injected failure", true, 0},
		{"502 html", difytest.Reply{FailStatus: 502, FailBody: "<html>\n Bad  Gateway </html>"}, 502, "", "<html> Bad Gateway </html>", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := difytest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("u1", "hi"), rec.emit)
			var apiErr *llm.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T %v is not an *llm.Error", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.InStream || apiErr.Type != tt.code || apiErr.Message != tt.msg || apiErr.Provider != "test-dify" {
				t.Fatalf("error %+v", apiErr)
			}
			if retry, after := llm.Retryable(err); retry != tt.wantRetry || after != tt.wantAfter {
				t.Fatalf("Retryable = (%v, %v), want (%v, %v)", retry, after, tt.wantRetry, tt.wantAfter)
			}
			if got.Text != "" || len(rec.deltas) != 0 || len(s.Requests()) != 1 {
				t.Fatalf("text %q deltas %q requests %d", got.Text, rec.deltas, len(s.Requests()))
			}
		})
	}
}

func TestStreamFailuresKeepPartialText(t *testing.T) {
	tokens := []string{"one", " two", " three"}
	tests := []struct {
		name      string
		reply     difytest.Reply
		wantText  string
		wantRetry bool
		check     func(t *testing.T, err error)
	}{
		{"error event after 2 tokens",
			difytest.Reply{Tokens: tokens, ErrorAfter: 2, ErrorStatus: 400, ErrorCode: "completion_request_error", ErrorMessage: "upstream model failed"},
			"one two", true, wantEvent(400, "completion_request_error", "upstream model failed")},
		{"error event before any token",
			difytest.Reply{Tokens: tokens, ErrorStatus: 400, ErrorCode: "provider_quota_exceeded", ErrorMessage: "quota"},
			"", true, wantEvent(400, "provider_quota_exceeded", "quota")},
		{"invalid_param event is final",
			difytest.Reply{ErrorStatus: 400, ErrorCode: "invalid_param", ErrorMessage: "bad input"},
			"", false, wantEvent(400, "invalid_param", "bad input")},
		{"connection dropped mid-stream", difytest.Reply{Tokens: tokens, Drop: true}, "one two three", true,
			func(t *testing.T, err error) {
				if !strings.HasPrefix(err.Error(), "dify: stream: ") {
					t.Fatalf("error %q", err)
				}
			}},
		{"clean end without message_end", difytest.Reply{Tokens: tokens, Truncate: true}, "one two three", true,
			func(t *testing.T, err error) {
				if !errors.Is(err, dify.ErrTruncated) {
					t.Fatalf("error %v, want ErrTruncated", err)
				}
			}},
		{"moderation replaced a streamed answer", difytest.Reply{Tokens: tokens, Replace: "Sorry."}, "one two three", true,
			func(t *testing.T, err error) {
				if !errors.Is(err, dify.ErrReplaced) {
					t.Fatalf("error %v, want ErrReplaced", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := difytest.NewServer(t, fixed(tt.reply))
			p := newProvider(t, s)
			var rec recorder
			got, err := p.Stream(t.Context(), request("u1", "hi"), rec.emit)
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
		})
	}
}

func wantEvent(status int, code, msg string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var apiErr *llm.Error
		if !errors.As(err, &apiErr) || !apiErr.InStream || apiErr.StatusCode != status || apiErr.Type != code || apiErr.Message != msg {
			t.Fatalf("error %#v, want an in-stream %d %s %q", err, status, code, msg)
		}
		if !strings.Contains(err.Error(), msg) {
			t.Fatalf("error text %q lacks the message", err)
		}
	}
}

func TestSlowFirstByte(t *testing.T) {
	t.Run("answered once the server starts", func(t *testing.T) {
		hold := make(chan struct{})
		s := difytest.NewServer(t, fixed(difytest.Reply{Tokens: []string{"late"}, HoldHeaders: hold}))
		p := newProvider(t, s)
		go func() {
			if _, err := s.WaitRequests(1, safety); err == nil {
				close(hold)
			}
		}()
		got, err := p.Stream(t.Context(), request("u1", "hi"), func(string) error { return nil })
		if err != nil || got.Text != "late" {
			t.Fatalf("text %q error %v", got.Text, err)
		}
	})
	t.Run("deadline before the first byte", func(t *testing.T) {
		s := difytest.NewServer(t, fixed(difytest.Reply{HoldHeaders: make(chan struct{})}))
		p := newProvider(t, s)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		got, err := p.Stream(ctx, request("u1", "hi"), func(string) error { return nil })
		if !errors.Is(err, context.DeadlineExceeded) || got.Text != "" {
			t.Fatalf("text %q error %v, want DeadlineExceeded", got.Text, err)
		}
		if err := s.WaitAborted(1, safety); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAbandonedReplyIsStoppedUpstream(t *testing.T) {
	errStop := errors.New("client gone")
	tests := []struct {
		name    string
		cancel  bool // cancel the context instead of failing emit
		wantErr func(error) bool
	}{
		{"context cancelled", true, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"emit refused", false, func(err error) bool { return err == errStop }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := difytest.NewServer(t, fixed(difytest.Reply{Tokens: []string{"a", "b"}, Hang: true}))
			p := newProvider(t, s)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			rec := recorder{onCall: func(n int) error {
				if n == 2 {
					if tt.cancel {
						cancel()
						return nil
					}
					return errStop
				}
				return nil
			}}
			got, err := p.Stream(ctx, request("bob", "hi"), rec.emit)
			if !tt.wantErr(err) {
				t.Fatalf("error %v", err)
			}
			if !strings.HasPrefix("ab", got.Text) || got.Text != strings.Join(rec.deltas, "") {
				t.Fatalf("text %q deltas %q", got.Text, rec.deltas)
			}
			if err := s.WaitAborted(1, safety); err != nil {
				t.Fatal(err)
			}
			if stops := s.Stops(); !slices.Equal(stops, []difytest.Stop{{TaskID: "task-1", User: "bob"}}) {
				t.Fatalf("stops %+v", stops)
			}
		})
	}
}

func TestAPIKeyIsNeverInErrors(t *testing.T) {
	s := difytest.NewServer(t, difytest.WithAPIKey("app-the-right-one"))
	p := newProvider(t, s)
	_, err := p.Stream(t.Context(), request("u1", "hi"), func(string) error { return nil })
	if err == nil {
		t.Fatal("no error")
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(text, testKey) {
			t.Fatalf("error text contains the API key: %s", text)
		}
	}
	if !strings.Contains(err.Error(), "401") {
		t.Fatalf("error %q", err)
	}
}

func TestUnreachableServerIsRetryable(t *testing.T) {
	s := difytest.NewServer(t)
	p := newProvider(t, s)
	s.Close()
	_, err := p.Stream(t.Context(), request("u1", "hi"), func(string) error { return nil })
	if retry, _ := llm.Retryable(err); err == nil || !retry || !strings.HasPrefix(err.Error(), "dify: ") {
		t.Fatalf("error %v", err)
	}
}

func TestInvalidRequestsAreNotSent(t *testing.T) {
	tests := []struct {
		name string
		req  chat.CompletionRequest
	}{
		{"no turns", chat.CompletionRequest{}},
		{"ends with the assistant", request("u", "q", "a")},
		{"unknown role", chat.CompletionRequest{Turns: []chat.Turn{{Role: "tool", Content: "x"}, {Role: chat.RoleUser, Content: "y"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := difytest.NewServer(t)
			p := newProvider(t, s)
			_, err := p.Stream(t.Context(), tt.req, func(string) error { return nil })
			if !errors.Is(err, chat.ErrInvalid) || len(s.Requests()) != 0 {
				t.Fatalf("error %v, %d requests", err, len(s.Requests()))
			}
		})
	}
}

func TestNewNeedsABaseURL(t *testing.T) {
	for _, base := range []string{"", "dify.example.com/v1", "ftp://dify.example.com", "http://u:" + testKey + "@[::1"} {
		_, err := dify.New(dify.Options{BaseURL: base})
		if err == nil || strings.Contains(err.Error(), testKey) {
			t.Errorf("base %q: error %v", base, err)
		}
	}
}

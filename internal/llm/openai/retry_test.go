package openai_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm"
	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
	"github.com/chatboxhq/chatbox/internal/llm/openai"
)

// TestFailoverClassification covers what failover needs from this
// provider: which failures another provider may answer, and how long a
// rate-limited one asked to be left alone.
func TestFailoverClassification(t *testing.T) {
	tests := []struct {
		name      string
		reply     llmtest.Reply
		wantRetry bool
		wantAfter time.Duration
		wantText  string
	}{
		{"429 with Retry-After", llmtest.Reply{FailStatus: 429, Header: http.Header{"Retry-After": {"12"}}}, true, 12 * time.Second, ""},
		{"429 with retry-after-ms", llmtest.Reply{FailStatus: 429, Header: http.Header{"Retry-After-Ms": {"800"}}}, true, 800 * time.Millisecond, ""},
		{"503 with an HTTP-date Retry-After in the past", llmtest.Reply{FailStatus: 503, Header: http.Header{"Retry-After": {"Mon, 01 Jan 2001 00:00:00 GMT"}}}, true, 0, ""},
		{"500", llmtest.Reply{FailStatus: 500}, true, 0, ""},
		{"401 (this provider's key)", llmtest.Reply{FailStatus: 401}, true, 0, ""},
		{"400 blames the request", llmtest.Reply{FailStatus: 400}, false, 0, ""},
		{"error event before any token", llmtest.Reply{Tokens: []string{"x"}, ErrorMessage: "overloaded"}, true, 0, ""},
		{"connection dropped mid-stream", llmtest.Reply{Tokens: []string{"one", " two"}, Drop: true}, true, 0, "one two"},
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
			if retry, after := llm.Retryable(err); retry != tt.wantRetry || after != tt.wantAfter {
				t.Fatalf("Retryable(%v) = (%v, %v), want (%v, %v)", err, retry, after, tt.wantRetry, tt.wantAfter)
			}
			if got.Text != tt.wantText || got.Text != strings.Join(rec.deltas, "") {
				t.Fatalf("text %q deltas %q, want %q", got.Text, rec.deltas, tt.wantText)
			}
		})
	}
}

func TestRetryAfterIsKeptOnTheError(t *testing.T) {
	s := llmtest.NewServer(t, fixed(llmtest.Reply{FailStatus: 429, Header: http.Header{"Retry-After": {"3"}}}))
	p := newProvider(t, s)
	_, err := p.Stream(t.Context(), request("hi"), func(string) error { return nil })
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != 3*time.Second {
		t.Fatalf("error %#v, want an APIError with RetryAfter 3s", err)
	}
}

func TestSlowFirstByte(t *testing.T) {
	t.Run("answered once the server starts", func(t *testing.T) {
		hold := make(chan struct{})
		s := llmtest.NewServer(t, fixed(llmtest.Reply{Tokens: []string{"late"}, HoldHeaders: hold}))
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
		s := llmtest.NewServer(t, fixed(llmtest.Reply{Tokens: []string{"never"}, HoldHeaders: make(chan struct{})}))
		p := newProvider(t, s)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		got, err := p.Stream(ctx, request("hi"), func(string) error { return nil })
		if !errors.Is(err, context.DeadlineExceeded) || got.Text != "" {
			t.Fatalf("text %q error %v, want DeadlineExceeded", got.Text, err)
		}
		if err := s.WaitAborted(1, safety); err != nil {
			t.Fatal(err)
		}
	})
}

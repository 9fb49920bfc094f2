package llmtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

func TestFailureCarriesHeader(t *testing.T) {
	s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{FailStatus: 429, Header: http.Header{"Retry-After": {"9"}}}
	}))
	res := post(t, t.Context(), s, chatBody, nil)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "9" {
		t.Fatalf("status %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestHoldHeadersDelaysTheWholeResponse(t *testing.T) {
	hold := make(chan struct{})
	s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: []string{"a"}, HoldHeaders: hold}
	}))
	got := make(chan *http.Response, 1)
	go func() { got <- post(t, t.Context(), s, chatBody, nil) }()
	if _, err := s.WaitRequests(1, safety); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
		t.Fatal("response headers arrived while held")
	default:
	}
	close(hold)
	res := <-got
	evs := newReader(t, res.Body).all()
	if res.StatusCode != 200 || len(evs) == 0 || !evs[len(evs)-1].done {
		t.Fatalf("status %d events %d", res.StatusCode, len(evs))
	}
}

func TestHeldClientLeavingCountsAsAborted(t *testing.T) {
	s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{HoldHeaders: make(chan struct{})}
	}))
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		if _, err := s.WaitRequests(1, safety); err == nil {
			cancel()
		}
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/chat/completions", strings.NewReader(chatBody))
	if _, err := s.Client().Do(req); err == nil {
		t.Fatal("no error from a cancelled request")
	}
	if err := s.WaitAborted(1, safety); err != nil {
		t.Fatal(err)
	}
}

func TestDropCutsTheBody(t *testing.T) {
	s := llmtest.NewServer(t, llmtest.WithReply(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: []string{"a", "b"}, Drop: true}
	}))
	res := post(t, t.Context(), s, chatBody, nil)
	_, err := io.ReadAll(res.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading a dropped body: %v, want an unexpected EOF", err)
	}
}

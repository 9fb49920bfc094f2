// Package anthropictest runs a fake Anthropic Messages API on loopback for
// tests: a real HTTP server speaking the streaming wire format (server-sent
// events message_start, content_block_start, ping, content_block_delta,
// content_block_stop, message_delta, message_stop, and error), so clients
// are exercised end to end through their SDK. Each request's answer is
// decided by a Reply, which can inject HTTP failures with Retry-After,
// error events, stalls, dropped connections and mid-stream gates.
package anthropictest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm/internal/fake"
)

// maxBody bounds request bodies; tests never need more.
const maxBody = 8 << 20

// Option configures a Server.
type Option func(*Server)

// WithReply sets the function deciding each request's answer; it may be
// called from several goroutines at once. The default is EchoReply.
func WithReply(reply func(Request) Reply) Option {
	return func(s *Server) { s.reply = reply }
}

// WithAPIKey makes the server demand key (as x-api-key or a Bearer token)
// and answer 401 otherwise, echoing the key it was given in the message so
// tests can check clients keep keys out of their errors.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKey = key }
}

// Server is a running fake, closed by the test's cleanup.
type Server struct {
	// URL is the base URL clients use, without /v1 (the SDK adds
	// v1/messages), e.g. "http://127.0.0.1:41234".
	URL string

	reply     func(Request) Reply
	apiKey    string
	srv       *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once
	record    fake.Record[Request]
}

// NewServer starts a fake on loopback and closes it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{reply: EchoReply, closing: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", s.handleMessages)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fake.WriteJSON(w, http.StatusNotFound, nil, errorBody("not_found_error",
			fmt.Sprintf("anthropictest: unknown endpoint %s %s", r.Method, r.URL.Path)))
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Client returns an HTTP client whose connections close with the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close releases stalled replies, drops connections and stops the server.
// It is safe to call more than once; replies it cuts are not Aborted.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request { return s.record.Requests() }

// Aborted returns how many replies ended early because the client left.
func (s *Server) Aborted() int { return s.record.Aborted() }

// WaitRequests waits until n requests arrived; timeout is a safety net.
func (s *Server) WaitRequests(n int, timeout time.Duration) ([]Request, error) {
	reqs, err := s.record.WaitRequests(n, timeout)
	if err != nil {
		return reqs, fmt.Errorf("anthropictest: %w", err)
	}
	return reqs, nil
}

// WaitAborted waits until n replies were abandoned by their client.
func (s *Server) WaitAborted(n int, timeout time.Duration) error {
	if err := s.record.WaitAborted(n, timeout); err != nil {
		return fmt.Errorf("anthropictest: %w", err)
	}
	return nil
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody("invalid_request_error", "anthropictest: read body: "+err.Error()))
		return
	}
	req, err := decodeRequest(body, r.Header.Clone())
	if err != nil {
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody("invalid_request_error", "anthropictest: "+err.Error()))
		return
	}
	n := s.record.Add(req)
	if s.apiKey != "" && req.APIKey != s.apiKey {
		fake.WriteJSON(w, http.StatusUnauthorized, nil, errorBody("authentication_error", "invalid x-api-key: "+req.APIKey))
		return
	}
	if !req.Stream {
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody("invalid_request_error", "anthropictest: only streaming requests are supported"))
		return
	}
	reply := s.reply(req)
	e := fake.NewStream(w, r, s.closing)
	if reply.HoldHeaders != nil {
		if gone, closed := e.Wait(reply.HoldHeaders, 0); gone || closed {
			s.finish(gone)
			return
		}
	}
	if reply.FailStatus != 0 {
		writeFailure(w, reply)
		return
	}
	for k, vs := range reply.Header {
		w.Header()[k] = vs
	}
	s.finish(stream(e, req, reply, fmt.Sprintf("msg_anthropictest_%d", n)))
}

// finish counts an abandoned reply, unless Close cut it.
func (s *Server) finish(aborted bool) {
	select {
	case <-s.closing:
		return
	default:
	}
	if aborted {
		s.record.Abort()
	}
}

func writeFailure(w http.ResponseWriter, reply Reply) {
	if reply.FailBody != "" {
		fake.WriteBody(w, reply.FailStatus, reply.Header, reply.FailBody)
		return
	}
	typ := reply.FailType
	if typ == "" {
		typ = statusErrorType(reply.FailStatus)
	}
	fake.WriteJSON(w, reply.FailStatus, reply.Header, errorBody(typ, "anthropictest: injected failure"))
}

// statusErrorType is the error type the API uses with each status.
func statusErrorType(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// errorBody is the API's error envelope, for statuses and error events.
func errorBody(typ, message string) any {
	type apiError struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	return struct {
		Type  string   `json:"type"`
		Error apiError `json:"error"`
	}{"error", apiError{Type: typ, Message: message}}
}

// words counts whitespace-separated words, the fake's token measure.
func words(s string) int { return len(strings.Fields(s)) }

// Package llmtest runs a fake OpenAI-compatible chat completions server on
// loopback for tests across the repository.
//
// It is not a mock of any SDK: it is a real HTTP server speaking the wire
// format (server-sent events of chat.completion.chunk objects ending with
// data: [DONE]), so clients are exercised end to end, including their HTTP
// and SSE handling. Each request's answer is decided by a Reply function,
// which can inject failures, truncation, stalls and mid-stream gates.
package llmtest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	reply    func(Request) Reply
	apiKey   string
	noRecord bool
}

// WithReply sets the function that decides the answer to each request. It
// is called once per request, possibly from several goroutines at once.
// The default is EchoReply.
func WithReply(reply func(Request) Reply) Option {
	return func(c *config) { c.reply = reply }
}

// WithAPIKey makes the server demand "Authorization: Bearer key" and answer
// 401 otherwise. The 401 message echoes the key the client presented, as some
// servers do, so tests can check that clients keep keys out of their errors.
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey = key }
}

// WithoutRecording makes the server keep no requests: Requests returns
// none and WaitRequests waits in vain. Long soak tests use it, so the
// fake's memory stays flat however many requests it serves.
func WithoutRecording() Option {
	return func(c *config) { c.noRecord = true }
}

// Server is a running fake. Create it with NewServer; it is closed by the
// test's cleanup.
type Server struct {
	// URL is the base URL clients should use, including the /v1 prefix,
	// e.g. "http://127.0.0.1:41234/v1".
	URL string

	cfg       config
	srv       *httptest.Server
	closing   chan struct{} // closed by Close to release stalled handlers
	closeOnce sync.Once

	mu      sync.Mutex
	reqs    []Request
	aborted int
	changed chan struct{} // closed and replaced whenever reqs or aborted change
}

// NewServer starts a fake server on loopback and closes it when the test
// ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		cfg:     config{reply: EchoReply},
		closing: make(chan struct{}),
		changed: make(chan struct{}),
	}
	for _, o := range opts {
		o(&s.cfg)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("/", handleUnknown)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(s.Close)
	return s
}

// Client returns an HTTP client for the server whose idle connections are
// closed with the server, so tests using it leave no goroutines behind.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close releases stalled replies, drops open connections and shuts the
// server down. It is safe to call more than once, and lets a test take the
// provider away mid-test. Replies cut by Close do not count as Aborted.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		// Cut live connections too: a handler blocked writing to a client
		// that stopped reading would otherwise keep Close waiting forever.
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Requests returns every chat request received so far, in order of
// arrival. The slice is a copy; the requests' own slices and maps are
// shared with the server's record, so treat them as read-only.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Aborted returns how many replies ended early because the client went away
// (disconnected or cancelled) before the reply was complete.
func (s *Server) Aborted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aborted
}

// WaitRequests waits until at least n requests have arrived and returns
// them. The timeout is only a safety net against a hung test, not an
// assertion on speed: pick it generously.
func (s *Server) WaitRequests(n int, timeout time.Duration) ([]Request, error) {
	err := s.wait(timeout, func() bool { return len(s.reqs) >= n })
	if err != nil {
		return s.Requests(), fmt.Errorf("llmtest: waiting for %d requests: %w", n, err)
	}
	return s.Requests(), nil
}

// WaitAborted waits until at least n replies have been aborted by their
// client (see Aborted). The timeout is only a safety net, as for
// WaitRequests.
func (s *Server) WaitAborted(n int, timeout time.Duration) error {
	if err := s.wait(timeout, func() bool { return s.aborted >= n }); err != nil {
		return fmt.Errorf("llmtest: waiting for %d aborted replies: %w", n, err)
	}
	return nil
}

// errTimeout is returned by the Wait helpers when their safety net fires.
var errTimeout = errors.New("timed out")

// wait blocks until cond, evaluated under s.mu, holds or timeout passes.
func (s *Server) wait(timeout time.Duration, cond func() bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return errTimeout
		}
	}
}

// update applies f under s.mu and wakes every waiter.
func (s *Server) update(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
}

// handleUnknown answers any other path the way the API does.
func handleUnknown(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "invalid_request_error",
		fmt.Sprintf("llmtest: unknown endpoint %s %s", r.Method, r.URL.Path))
}

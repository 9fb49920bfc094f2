// Package difytest runs a fake Dify chat app API on loopback for tests: a
// real HTTP server speaking Dify's chat-messages wire format in streaming
// response mode (server-sent events whose JSON "event" field is message,
// agent_message, message_replace, message_end, error, plus ping events),
// with Dify's conversation memory: a conversation_id the server did not
// issue is answered 404 "Conversation Not Exists.". Each request's answer
// is decided by a Reply, which can inject HTTP failures with Retry-After,
// error events, stalls, dropped connections and mid-stream gates.
package difytest

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

const maxBody = 8 << 20

// Option configures a Server.
type Option func(*Server)

// WithReply sets the function deciding each answer; it may be called from
// several goroutines at once. The default is EchoReply.
func WithReply(reply func(Request) Reply) Option {
	return func(s *Server) { s.reply = reply }
}

// WithAPIKey makes the server demand "Authorization: Bearer key" and
// answer 401 otherwise, echoing the presented key in its message.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKey = key }
}

// Server is a running fake, closed by the test's cleanup.
type Server struct {
	// URL is the API base clients use, with Dify's /v1 prefix, e.g.
	// "http://127.0.0.1:41234/v1".
	URL string

	reply     func(Request) Reply
	apiKey    string
	srv       *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once
	record    fake.Record[Request]

	mu            sync.Mutex
	conversations map[string]bool // ids issued and not forgotten
	stops         []Stop
}

// Stop is one call of the stop endpoint.
type Stop struct {
	TaskID string
	User   string
}

// NewServer starts a fake on loopback and closes it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{reply: EchoReply, closing: make(chan struct{}), conversations: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat-messages", s.handleChat)
	mux.HandleFunc("POST /v1/chat-messages/{task}/stop", s.handleStop)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fake.WriteJSON(w, http.StatusNotFound, nil, errorBody(404, "not_found",
			fmt.Sprintf("difytest: unknown endpoint %s %s", r.Method, r.URL.Path)))
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
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

// Requests returns every chat request received so far, in order.
func (s *Server) Requests() []Request { return s.record.Requests() }

// Aborted returns how many replies ended early because the client left.
func (s *Server) Aborted() int { return s.record.Aborted() }

// WaitRequests waits until n chat requests arrived; timeout is a safety
// net.
func (s *Server) WaitRequests(n int, timeout time.Duration) ([]Request, error) {
	reqs, err := s.record.WaitRequests(n, timeout)
	if err != nil {
		return reqs, fmt.Errorf("difytest: %w", err)
	}
	return reqs, nil
}

// WaitAborted waits until n replies were abandoned by their client.
func (s *Server) WaitAborted(n int, timeout time.Duration) error {
	if err := s.record.WaitAborted(n, timeout); err != nil {
		return fmt.Errorf("difytest: %w", err)
	}
	return nil
}

// Stops returns the stop requests received, in order.
func (s *Server) Stops() []Stop {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stop(nil), s.stops...)
}

// Forget drops a conversation, as Dify does when it is deleted: requests
// naming it are then answered 404.
func (s *Server) Forget(conversationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conversations, conversationID)
}

// Knows reports whether the server issued conversationID and still has it.
func (s *Server) Knows(conversationID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conversations[conversationID]
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody(400, "invalid_param", "difytest: read body: "+err.Error()))
		return
	}
	req, err := decodeRequest(body, r.Header.Clone())
	if err != nil {
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody(400, "invalid_param", "difytest: "+err.Error()))
		return
	}
	n := s.record.Add(req)
	switch {
	case s.apiKey != "" && req.APIKey != s.apiKey:
		fake.WriteJSON(w, http.StatusUnauthorized, nil, errorBody(401, "unauthorized", "Access token is invalid: "+req.APIKey))
		return
	case req.Query == "" || req.User == "" || req.Inputs == nil:
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody(400, "invalid_param", "query, user and inputs are required"))
		return
	case req.ResponseMode != "streaming":
		fake.WriteJSON(w, http.StatusBadRequest, nil, errorBody(400, "invalid_param", "difytest: only response_mode streaming is supported"))
		return
	case req.ConversationID != "" && !s.Knows(req.ConversationID):
		fake.WriteJSON(w, http.StatusNotFound, nil, errorBody(404, "not_found", "Conversation Not Exists."))
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
	ids := ids{
		task:         fmt.Sprintf("task-%d", n),
		message:      fmt.Sprintf("msg-%d", n),
		conversation: req.ConversationID,
	}
	if ids.conversation == "" {
		ids.conversation = reply.ConversationID
		if ids.conversation == "" {
			ids.conversation = fmt.Sprintf("conv-%d", n)
		}
		s.mu.Lock()
		s.conversations[ids.conversation] = true
		s.mu.Unlock()
	}
	for k, vs := range reply.Header {
		w.Header()[k] = vs
	}
	s.finish(stream(e, req, reply, ids))
}

func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	req, _ := decodeRequest(body, r.Header)
	s.mu.Lock()
	s.stops = append(s.stops, Stop{TaskID: r.PathValue("task"), User: req.User})
	s.mu.Unlock()
	fake.WriteJSON(w, http.StatusOK, nil, map[string]string{"result": "success"})
}

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
	code := reply.FailCode
	if code == "" {
		code = "internal_server_error"
		if reply.FailStatus < 500 {
			code = strings.ReplaceAll(strings.ToLower(http.StatusText(reply.FailStatus)), " ", "_")
		}
	}
	fake.WriteJSON(w, reply.FailStatus, reply.Header, errorBody(reply.FailStatus, code, "difytest: injected failure"))
}

// errorBody is Dify's error object, for statuses and error events alike.
func errorBody(status int, code, message string) map[string]any {
	return map[string]any{"status": status, "code": code, "message": message}
}

// Package ws serves Chatbox's WebSocket protocol v1 (docs/protocol.md) on
// top of the chat domain: authentication and origin checks at the upgrade,
// per-connection ordered frame handling, and fan-out of session events from
// the bus to every connection that follows a session.
package ws

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/metrics"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// TokenVerifier checks a bearer token and returns its claims.
type TokenVerifier interface {
	Verify(token string) (auth.Claims, error)
}

// Options configure a Server. Zero values take the documented defaults.
type Options struct {
	AllowedOrigins        []string // empty: any origin (development only)
	MaxMessageBytes       int64
	MaxConnectionsPerUser int
	SendQueue             int
	PingInterval          time.Duration
	MessagesPerMinute     int
	MessageBurst          int
}

func (o *Options) setDefaults() {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 64 << 10
	}
	if o.MaxConnectionsPerUser <= 0 {
		o.MaxConnectionsPerUser = 10
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.MessagesPerMinute <= 0 {
		o.MessagesPerMinute = 30
	}
	if o.MessageBurst <= 0 {
		o.MessageBurst = 10
	}
}

// Server is the http.Handler for the WebSocket endpoint.
type Server struct {
	opts     Options
	svc      *chat.Service
	verifier TokenVerifier
	metrics  *metrics.Metrics
	log      *slog.Logger
	hub      *hub
	limits   *limits
	upgrader websocket.Upgrader
	origins  map[string]bool

	mu       sync.Mutex
	conns    map[*conn]struct{}
	draining bool
	idle     *sync.Cond // signalled when conns shrinks
}

// NewServer builds the WebSocket server.
func NewServer(svc *chat.Service, bus chat.Bus, v TokenVerifier, m *metrics.Metrics, log *slog.Logger, opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts: opts, svc: svc, verifier: v, metrics: m, log: log,
		hub:    newHub(bus, m),
		limits: newLimits(opts.MaxConnectionsPerUser, opts.MessagesPerMinute, opts.MessageBurst),
		conns:  make(map[*conn]struct{}),
	}
	s.idle = sync.NewCond(&s.mu)
	if len(opts.AllowedOrigins) > 0 {
		s.origins = make(map[string]bool, len(opts.AllowedOrigins))
		for _, o := range opts.AllowedOrigins {
			s.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
		}
	}
	s.upgrader = websocket.Upgrader{
		// Small buffers and a shared write pool: an idle connection should
		// cost a few KiB, not the 8 KiB of defaults per direction. The read
		// buffer is held for the connection's life; client frames are
		// small, and a larger one only saves a read call on large frames.
		// The write buffer is only borrowed from the pool while writing,
		// and 1 KiB holds a typical streamed delta in one frame.
		ReadBufferSize:  512,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
		Error:           func(w http.ResponseWriter, r *http.Request, status int, reason error) {},
	}
	return s
}

// checkOrigin allows requests without an Origin header (non-browser
// clients: browsers always send one) and, for browsers, only the allowed
// origins when a list is configured.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.origins == nil {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return s.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// ServeHTTP authenticates and upgrades a WebSocket request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.isDraining() {
		wire.WriteError(w, http.StatusServiceUnavailable, "draining", "server is restarting; reconnect to another instance")
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		wire.WriteError(w, http.StatusBadRequest, "invalid_request", "expected a WebSocket upgrade")
		return
	}
	if !s.checkOrigin(r) {
		wire.WriteError(w, http.StatusForbidden, "forbidden", "origin not allowed")
		return
	}
	claims, err := s.verifier.Verify(auth.TokenFromRequest(r))
	if err != nil {
		wire.WriteError(w, http.StatusUnauthorized, "unauthorized", "missing, invalid or expired token")
		return
	}
	actor := chat.Actor{ID: claims.UserID, Name: claims.Name, Admin: claims.Admin()}
	if !s.limits.acquireConn(actor.ID) {
		wire.WriteError(w, http.StatusTooManyRequests, "too_many_connections", "too many open connections for this user")
		return
	}
	upgraded := false
	defer func() {
		if !upgraded {
			s.limits.releaseConn(actor.ID)
		}
	}()
	wsc, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the request
	}
	c := newConn(s, wsc, actor, s.log)
	if !s.track(c) {
		c.abort(websocket.CloseServiceRestart, "server restarting")
		return
	}
	upgraded = true
	c.send(connectionStatusFrame{
		Type: typeConnectionStatus, Protocol: ProtocolVersion, UserID: actor.ID,
		Models: modelFrames(s.svc.Models()), DefaultModel: s.svc.DefaultModel(),
	})
	c.startTimers(claims.ExpiresAt)
	if actor.Admin {
		// Admin consoles follow the live feed from the start: they never poll.
		if err := s.hub.join(chat.AdminFeed, c); err != nil {
			s.log.Warn("admin feed unavailable for this connection", "user_id", actor.ID, "err", err)
		}
	}
	// The reader gets its own goroutine so this handler returns and
	// net/http releases its per-request state for the connection's life.
	// There is no writer goroutine until something is queued.
	go c.readLoop()
}

func modelFrames(models []chat.ModelInfo) []modelFrame {
	out := make([]modelFrame, 0, len(models))
	for _, m := range models {
		out = append(out, modelFrame{ID: m.ID, Name: m.Name, Available: m.Available})
	}
	return out
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.conns[c] = struct{}{}
	s.metrics.WebSocketConnections.Set(float64(len(s.conns)))
	return true
}

// forget is called once per connection when it finishes.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.limits.releaseConn(c.actor.ID)
		s.metrics.WebSocketConnections.Set(float64(len(s.conns)))
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// Drain refuses new connections from now on; open ones keep working.
func (s *Server) Drain() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
}

// Connections returns how many connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// CloseAll closes every connection with 1012 (service restart) so clients
// reconnect, to another instance, and resume by seq; it waits until they
// are gone or ctx ends.
func (s *Server) CloseAll(ctx context.Context) error {
	s.Drain()
	// Events of replies that just finished are still travelling through
	// the bus; let them reach their connections before the close frame.
	if err := s.hub.flush(ctx); err != nil {
		s.log.Warn("could not flush the bus before closing connections; clients resume from storage", "err", err)
	}
	s.mu.Lock()
	for c := range s.conns {
		c.enqueue(op{kind: opClose, code: websocket.CloseServiceRestart, reason: "server restarting"})
	}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.idle.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.conns) > 0 && ctx.Err() == nil {
		s.idle.Wait()
	}
	if len(s.conns) > 0 {
		for c := range s.conns {
			_ = c.ws.Close()
		}
		return errors.New("ws: connections still open after the close deadline; closed them")
	}
	return nil
}

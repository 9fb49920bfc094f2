// Package httpapi serves Chatbox's HTTP surface: health and readiness
// probes, Prometheus metrics, the REST API for a user's sessions, and the
// WebSocket endpoint, all under the configured path prefix.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/chat"
)

// TokenVerifier checks a bearer token and returns its claims.
type TokenVerifier interface {
	Verify(token string) (auth.Claims, error)
}

// Check is one readiness condition; Fn returns nil when it holds.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options are the handler's dependencies.
type Options struct {
	Prefix      string // e.g. "/chat"
	Service     *chat.Service
	Verifier    TokenVerifier
	WebSocket   http.Handler
	Metrics     http.Handler
	ReadyChecks []Check
	Draining    func() bool
	CORSOrigins []string
	Logger      *slog.Logger
	// FirstTokenMedian estimates this instance's median time to first
	// token, for the admin console; nil reports 0.
	FirstTokenMedian func() float64
	// Web serves the browser pages (chat, console, dev login); nil: none.
	Web http.Handler
	// Lifecycle serves data export and erasure (/me/export, DELETE /me and
	// their admin forms); nil leaves those routes out.
	Lifecycle *chat.Lifecycle
	// Uploads stores and serves file attachments (uploads.go); nil turns
	// the upload routes into 404s.
	Uploads *chat.Uploads
}

// New returns the service's root handler.
func New(o Options) http.Handler {
	a := &api{o: o}
	mux := http.NewServeMux()
	p := o.Prefix
	mux.HandleFunc("GET "+p+"/healthz", a.healthz)
	mux.HandleFunc("GET "+p+"/readyz", a.readyz)
	mux.Handle("GET /metrics", o.Metrics)
	mux.Handle("GET "+p+"/ws", o.WebSocket)
	mux.Handle("GET "+p+"/sessions", a.authed(a.listSessions))
	mux.Handle("GET "+p+"/sessions/{id}/messages", a.authed(a.listMessages))
	mux.Handle("POST "+p+"/sessions/{id}/end", a.authed(a.endSession))
	mux.Handle("GET "+p+"/admin/sessions", a.adminOnly(a.adminListSessions))
	mux.Handle("GET "+p+"/admin/sessions/{id}/messages", a.adminOnly(a.listMessages))
	mux.Handle("POST "+p+"/admin/sessions/{id}/takeover", a.adminOnly(a.adminTakeover))
	mux.Handle("POST "+p+"/admin/sessions/{id}/release", a.adminOnly(a.adminRelease))
	mux.Handle("GET "+p+"/admin/metrics", a.adminOnly(a.adminOverview))
	mux.Handle("GET "+p+"/admin/audit", a.adminOnly(a.adminAudit))
	mux.Handle("POST "+p+"/uploads", a.authed(a.createUpload))
	mux.Handle("GET "+p+"/uploads/{file_id}", a.authed(a.getUpload))
	a.lifecycleRoutes(mux, p)
	mountWeb(mux, p, o.Web)
	mux.HandleFunc(p+"/", a.notFound)
	var h http.Handler = mux
	h = withCORS(h, o.CORSOrigins, o.Logger)
	h = withRecover(h, o.Logger)
	h = withAccessLog(h, o.Logger)
	return h
}

type api struct{ o Options }

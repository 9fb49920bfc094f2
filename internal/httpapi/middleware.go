package httpapi

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/rs/cors"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// authed runs h with the caller's identity, or answers 401.
func (a *api) authed(h func(http.ResponseWriter, *http.Request, chat.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := a.o.Verifier.Verify(auth.TokenFromRequest(r))
		if err != nil {
			msg := "missing or invalid token"
			if errors.Is(err, auth.ErrExpired) {
				msg = "token expired"
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="chatbox"`)
			wire.WriteError(w, http.StatusUnauthorized, "unauthorized", msg)
			return
		}
		h(w, r, chat.Actor{ID: claims.UserID, Name: claims.Name, Admin: claims.Admin()})
	})
}

// withCORS applies CORS only when origins are configured: without a list,
// endpoints stay same-origin (the deployment guide's promise).
func withCORS(h http.Handler, origins []string, log *slog.Logger) http.Handler {
	if len(origins) == 0 {
		return h
	}
	log.Info("CORS middleware configured", "allowed_origins", origins)
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		AllowedHeaders:   []string{"Authorization", "Content-Type"},
		AllowCredentials: true,
		MaxAge:           12 * 60 * 60,
	}).Handler(h)
}

// withRecover turns a handler panic into a 500 instead of a dropped
// connection, and logs it.
func withRecover(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "path", r.URL.Path, "panic", v)
				wire.WriteError(w, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController see through this wrapper.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Hijack hands the connection to the WebSocket upgrader, which asserts
// http.Hijacker directly.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.status = http.StatusSwitchingProtocols
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// withAccessLog logs each request at debug level with tokens redacted from
// the URL.
func withAccessLog(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		log.Debug("http request", "method", r.Method, "url", auth.RedactURL(r.URL),
			"status", rec.status, "duration", time.Since(start))
	})
}

package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/chatboxhq/chatbox/internal/wire"
)

// readyTimeout bounds all readiness checks together; the probes in the
// manifests allow more than this.
const readyTimeout = 2 * time.Second

// healthz is liveness: the process serves HTTP. It checks no dependency, so
// a storage outage makes pods unready, not restarted.
func (a *api) healthz(w http.ResponseWriter, _ *http.Request) {
	wire.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz tells the load balancer whether to send new connections here:
// not while draining, and only with storage, the bus and a model available.
func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	ready := true
	if a.o.Draining != nil && a.o.Draining() {
		checks["draining"] = "shutting down"
		ready = false
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	for _, c := range a.o.ReadyChecks {
		if err := c.Fn(ctx); err != nil {
			checks[c.Name] = err.Error()
			ready = false
			continue
		}
		checks[c.Name] = "ok"
	}
	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "not_ready", http.StatusServiceUnavailable
	}
	wire.WriteJSON(w, code, map[string]any{"status": status, "checks": checks})
}

func (a *api) notFound(w http.ResponseWriter, _ *http.Request) {
	wire.WriteError(w, http.StatusNotFound, "not_found", "no such endpoint")
}

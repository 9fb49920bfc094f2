package kubernetes

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/server"
)

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// startServer runs the real server configured from the manifests and
// returns its configuration and base URL. Only storage, the bus and the
// upload bucket are swapped for their embedded variants (SQLite,
// in-process NATS, a local directory): they change no route.
func startServer(t *testing.T) (*config.Config, string) {
	t.Helper()
	cfg := manifestConfig(t)
	cfg.Uploads.S3Bucket = ""
	cfg.Uploads.Dir = filepath.Join(t.TempDir(), "uploads")
	return startConfigured(t, cfg, slog.New(slog.DiscardHandler))
}

// startConfigured runs the real server with cfg on embedded storage and
// bus, logging to log, and returns cfg and its base URL.
func startConfigured(t *testing.T, cfg *config.Config, log *slog.Logger) (*config.Config, string) {
	t.Helper()
	cfg.Storage.MongoURI = ""
	cfg.Storage.SQLitePath = filepath.Join(t.TempDir(), "chatbox.db")
	cfg.Bus.NATSURL = ""
	app, err := server.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return cfg, srv.URL
}

// The probes, the scrape annotations and the HPA's metrics are checked
// against the real server, configured from the manifests.
func TestProbesAndMetricsAreServedRoutes(t *testing.T) {
	cfg, base := startServer(t)

	d, c := chatbox(t)
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != int32(cfg.Server.Port) {
		t.Errorf("container ports %+v, want the one port the server listens on, %d (SERVER_PORT)", c.Ports, cfg.Server.Port)
	}
	for name, probe := range map[string]string{
		"startup":   c.StartupProbe.HTTPGet.Path,
		"liveness":  c.LivenessProbe.HTTPGet.Path,
		"readiness": c.ReadinessProbe.HTTPGet.Path,
	} {
		if status, body := get(t, base+probe); status != http.StatusOK {
			t.Errorf("%s probe GET %s = %d %s, want 200", name, probe, status, body)
		}
	}

	annotations := d.Spec.Template.Annotations
	if annotations["prometheus.io/scrape"] != "true" || annotations["prometheus.io/port"] != strconv.Itoa(cfg.Server.Port) {
		t.Errorf("scrape annotations %v do not point at port %d", annotations, cfg.Server.Port)
	}
	status, body := get(t, base+annotations["prometheus.io/path"])
	if status != http.StatusOK {
		t.Fatalf("GET %s (prometheus.io/path) = %d", annotations["prometheus.io/path"], status)
	}
	for name := range podMetricTargets {
		// An HPA target per pod only makes sense for a gauge.
		if !strings.Contains(body, "# TYPE "+name+" gauge\n") {
			t.Errorf("%s is not served as a gauge at %s", name, annotations["prometheus.io/path"])
		}
	}
}

package server

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/bus"
)

// TestReadinessFollowsNATS: when the NATS server goes away readiness turns
// 503 naming the bus, and when it comes back on the same address the
// instance reconnects and turns ready on its own.
func TestReadinessFollowsNATS(t *testing.T) {
	nats, err := bus.StartEmbedded(bus.EmbeddedOptions{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := url.Parse(nats.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"NATS_URL": nats.ClientURL()}))
	if code := getJSON(t, srv.baseURL+"/readyz", "", nil); code != http.StatusOK {
		t.Fatalf("readyz = %d before the outage", code)
	}

	nats.Shutdown()
	waitReady(t, srv, http.StatusServiceUnavailable, "bus")

	again, err := bus.StartEmbedded(bus.EmbeddedOptions{Listen: addr.Host})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Shutdown)
	waitReady(t, srv, http.StatusOK, "")
	// And chat works again without a restart.
	c := srv.dial("nina")
	c.ask("", "n1", "are you back?")
	c.reply()
}

// waitReady polls readyz until it answers status (and, for 503, names the
// failing check). The deadline is a safety net, not a speed assertion.
func waitReady(t *testing.T, in *instance, status int, failing string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var body struct{ Checks map[string]string }
		code := getJSON(t, in.baseURL+"/readyz", "", &body)
		if code == status && (failing == "" || body.Checks[failing] != "ok") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz stayed %d %v, want %d", code, body.Checks, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

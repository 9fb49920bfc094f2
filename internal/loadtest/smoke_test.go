package loadtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/server"
)

// The smoke test runs every scenario the harness has against a real
// Chatbox (in this process, on loopback) with a handful of clients, so the
// harness cannot rot as the server changes. It checks that each scenario
// completes and measures something, not how fast anything is.

const smokeSecret = "smoke-test-secret-long-enough-for-hs256!"

func TestSmokeEveryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and runs every scenario")
	}
	llm := httptest.NewServer(NewFakeLLM(10, 50))
	defer llm.Close()
	base := startChatboxInProcess(t, llm.URL)
	run := func(t *testing.T, cfg Config) *Report {
		t.Helper()
		cfg.TargetURL, cfg.JWTSecret, cfg.llmURL = base, smokeSecret, llm.URL
		cfg.settlePoll, cfg.gcWait = 10*time.Millisecond, 2*time.Second
		cfg.Timeout = 2 * time.Minute
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		var table strings.Builder
		if err := rep.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
		t.Log("\n" + table.String())
		for _, res := range []*Result{rep.Chatbox, rep.Baseline} {
			for label, n := range res.errorsIf() {
				if strings.HasPrefix(label, "dial:") || strings.HasPrefix(label, "close:") ||
					label == "harness:timeout" || label == "harness:connection_lost" {
					t.Errorf("%s: %d x %s", res.Target, n, label)
				}
			}
		}
		return rep
	}

	t.Run("idle", func(t *testing.T) {
		rep := run(t, Config{Scenario: ScenarioIdle, Connections: 20, Baseline: BaselineInProcess})
		for _, res := range []*Result{rep.Chatbox, rep.Baseline} {
			if res.Connect.Connected != 20 || res.Memory == nil || res.Memory.Connections != 20 {
				t.Errorf("%s: %+v", res.Target, res)
			}
		}
	})
	t.Run("chat", func(t *testing.T) {
		rep := run(t, Config{Scenario: ScenarioChat, Sessions: 10, Interval: 500 * time.Millisecond,
			Duration: 2 * time.Second, TokensPerReply: 10, TokensPerSecond: 50, Baseline: BaselineInProcess})
		for _, res := range []*Result{rep.Chatbox, rep.Baseline} {
			c := res.Chat
			if c == nil || c.Replies == 0 || c.TokensDelivered != c.Replies*10 || c.Lost+c.Duplicated+c.Corrupt != 0 {
				t.Errorf("%s: %+v", res.Target, c)
			}
		}
	})
	t.Run("storm", func(t *testing.T) {
		rep := run(t, Config{Scenario: ScenarioStorm, Connections: 20, InFlight: 0.5, TokensPerReply: 20, TokensPerSecond: 40})
		s := rep.Chatbox.Storm
		if s == nil || s.Resumed != 20 || s.InFlight != 10 || s.RepliesCompleted != 10 || s.Lost+s.Duplicated+s.Corrupt != 0 {
			t.Errorf("storm: %+v", s)
		}
	})
	t.Run("watch", func(t *testing.T) {
		rep := run(t, Config{Scenario: ScenarioWatch, Sessions: 5, Interval: 500 * time.Millisecond,
			Duration: time.Second, TokensPerReply: 10, TokensPerSecond: 50})
		if rep.Unavailable != "" || rep.Chatbox.Watch == nil || rep.Chatbox.Watch.TokensDelivered == 0 {
			t.Errorf("watch: %q %+v", rep.Unavailable, rep.Chatbox.Watch)
		}
	})
}

// errorsIf is the result's error counts, or none for a missing result.
func (r *Result) errorsIf() map[string]int {
	if r == nil {
		return nil
	}
	return r.Errors
}

// startChatboxInProcess runs the real server, wired as cmd/chatbox wires
// it, on loopback, with the fake model at llmURL, and returns its base URL.
func startChatboxInProcess(t *testing.T, llmURL string) string {
	t.Helper()
	env := map[string]string{
		"CHATBOX_DATA_DIR":        t.TempDir(),
		"JWT_SECRET":              smokeSecret,
		"ENCRYPTION_KEY":          base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
		"LLM_PROVIDER_1_ID":       "fake",
		"LLM_PROVIDER_1_TYPE":     "openai",
		"LLM_PROVIDER_1_ENDPOINT": llmURL + "/v1",
		"LLM_PROVIDER_1_MODEL":    "fake-load",
	}
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	app, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-served:
		case <-time.After(time.Minute):
			t.Error("server did not shut down")
		}
		app.Close()
	})
	return "http://" + ln.Addr().String() + cfg.Server.PathPrefix
}

package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/bus"
	"github.com/chatboxhq/chatbox/internal/config"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged starts an instance like start does, logging everything down
// to debug level into log.
func startLogged(t *testing.T, env map[string]string, log *slog.Logger) *instance {
	t.Helper()
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	app, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{
		t: t, app: app, cancel: cancel, served: make(chan error, 1),
		baseURL: "http://" + ln.Addr().String() + cfg.Server.PathPrefix,
		wsURL:   "ws://" + ln.Addr().String() + cfg.Server.PathPrefix + "/ws",
	}
	go func() { in.served <- app.Serve(ctx, ln) }()
	t.Cleanup(in.stop)
	return in
}

// TestTokensNeverReachTheLogs: tokens sent every way a client might, good
// and bad, in the header or the URL, appear nowhere in the debug-level
// logs, neither whole nor by their signature.
func TestTokensNeverReachTheLogs(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	llm := fakeLLM(t)
	srv := startLogged(t, testEnv(t.TempDir(), llm.URL, map[string]string{"JWT_LEEWAY": "0s"}), log)

	good := token(t, "quinn", time.Hour)
	expired := token(t, "quinn", -time.Hour)
	admin := adminToken(t, "root")
	forged := good[:len(good)-4] + "AAAA"
	secrets := []string{good, expired, admin, forged}

	c := srv.dialToken(good)
	sid := c.ask("", "q1", "hello").str("session_id")
	c.reply()
	for _, tok := range secrets {
		for _, path := range []string{
			"/sessions?token=" + tok,
			"/sessions?limit=2&token=" + tok + "&cursor=x",
			"/sessions?%74oken=" + tok,
			"/sessions?x=1;token=" + tok,
			"/sessions/" + sid + "/messages?token=" + tok,
			"/admin/sessions?token=" + tok,
			"/nope?token=" + tok,
			"/ws?token=" + tok,
		} {
			resp, err := http.Get(srv.baseURL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		rawRequest(t, http.MethodGet, srv.baseURL+"/sessions", tok)
		if cl, _, err := srv.tryDial(tok, nil); err == nil {
			_ = cl.conn.Close()
		}
	}
	srv.stop() // flushes every log line of the shutdown too

	out := logs.String()
	if !strings.Contains(out, "REDACTED") {
		t.Fatalf("no redacted URL logged: is debug logging on?\n%s", out)
	}
	for _, tok := range secrets {
		signature := tok[strings.LastIndex(tok, ".")+1:]
		if strings.Contains(out, tok) || strings.Contains(out, signature) {
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, signature) {
					t.Errorf("log line carries a token: %s", line)
				}
			}
		}
	}
}

// TestConfiguredURLsAreLoggedRedacted is the attack run's finding 8:
// credentials written into configured URLs (LLM_PROVIDER_N_ENDPOINT,
// S3_ENDPOINT, NATS_URL) appear in no start-up or shutdown log line, while
// the hosts the operator needs to see are still logged.
func TestConfiguredURLsAreLoggedRedacted(t *testing.T) {
	nats, err := bus.StartEmbedded(bus.EmbeddedOptions{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nats.Shutdown)
	withUser := func(raw, userinfo string) string {
		scheme, rest, _ := strings.Cut(raw, "://")
		return scheme + "://" + userinfo + "@" + rest
	}
	llm := fakeLLM(t)
	s3 := s3Backend(t)
	env := testEnv(t.TempDir(), withUser(llm.URL, "llmuser:llmpassword"), s3.env)
	env["S3_ENDPOINT"] = withUser(s3.env["S3_ENDPOINT"], "s3user:s3password")
	env["NATS_URL"] = withUser(nats.ClientURL(), "natstoken")

	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := startLogged(t, env, log)
	srv.stop()

	out := logs.String()
	for _, secret := range []string{"llmuser", "llmpassword", "s3user", "s3password", "natstoken"} {
		if strings.Contains(out, secret) {
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, secret) {
					t.Errorf("log line carries %q: %s", secret, line)
				}
			}
		}
	}
	for _, want := range []string{`"endpoint":"http://REDACTED@127.0.0.1:`, `"backend":"s3"`} {
		if strings.Count(out, want) == 0 {
			t.Errorf("start-up log lacks %s:\n%s", want, out)
		}
	}
}

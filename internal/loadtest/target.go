package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// stopGrace is how long a started server gets to shut down on SIGTERM.
const stopGrace = 30 * time.Second

// target is a WebSocket server under load: Chatbox or the baseline.
type target struct {
	name    string
	baseURL string // http://host:port/chat
	wsURL   string
	metrics string // Prometheus endpoint; "" for the baseline
	probe   probe
	secret  []byte
	stop    func() error
}

// newTarget describes a server whose routes live under baseURL.
func newTarget(name, baseURL string, pid int, withMetrics bool, secret []byte) (*target, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loadtest: target URL %q must be like http://127.0.0.1:8080/chat", baseURL)
	}
	if err := requireLoopback(u.Hostname()); err != nil {
		return nil, err
	}
	t := &target{name: name, baseURL: strings.TrimRight(baseURL, "/"), secret: secret, stop: func() error { return nil }}
	ws := *u
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	ws.Path = strings.TrimRight(u.Path, "/") + "/ws"
	t.wsURL = ws.String()
	if withMetrics {
		t.metrics = u.Scheme + "://" + u.Host + "/metrics"
	}
	t.probe = probe{pid: pid, metricsURL: t.metrics, http: &http.Client{Timeout: 10 * time.Second}}
	return t, nil
}

// startChatbox starts the chatbox binary with the fake model at llmURL as
// its only provider, waits until it is ready, and reports how long that
// took.
func startChatbox(ctx context.Context, cfg *Config, llmURL, workDir string) (*target, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	parent := cfg.DataDir
	if parent == "" {
		parent = workDir
	}
	dataDir, err := os.MkdirTemp(parent, "chatbox-data-")
	if err != nil {
		return nil, 0, fmt.Errorf("loadtest: data dir: %w", err)
	}
	secret := randomKey()
	env := append(baseEnv(),
		"CHATBOX_ENV=development",
		"CHATBOX_DATA_DIR="+dataDir,
		"SERVER_PORT="+strconv.Itoa(port),
		"JWT_SECRET="+secret,
		"ENCRYPTION_KEY="+randomKey(),
		"LOG_LEVEL=warn",
		"LLM_PROVIDER_1_ID=fake",
		"LLM_PROVIDER_1_NAME=Fake load model",
		"LLM_PROVIDER_1_TYPE=openai",
		"LLM_PROVIDER_1_ENDPOINT="+llmURL+"/v1",
		"LLM_PROVIDER_1_MODEL=fake-load",
	)
	env = append(env, cfg.ServerEnv...)
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/chat"
	t, readyIn, err := launch(ctx, "chatbox", cfg.ChatboxPath, []string{"serve"}, env, base, workDir, true, []byte(secret))
	if err != nil {
		return nil, 0, errors.Join(err, os.RemoveAll(dataDir))
	}
	stop := t.stop
	t.stop = func() error { return errors.Join(stop(), os.RemoveAll(dataDir)) }
	return t, readyIn, nil
}

// startChatboxDefaults starts chatbox as a newcomer would, with nothing
// but a port and a fresh data directory: embedded SQLite and NATS, the demo
// model, generated development secrets.
func startChatboxDefaults(ctx context.Context, path, workDir string) (*target, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	dataDir, err := os.MkdirTemp(workDir, "chatbox-defaults-")
	if err != nil {
		return nil, 0, fmt.Errorf("loadtest: data dir: %w", err)
	}
	env := append(baseEnv(), "CHATBOX_DATA_DIR="+dataDir, "SERVER_PORT="+strconv.Itoa(port), "LOG_LEVEL=warn")
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/chat"
	return launch(ctx, "chatbox", path, []string{"serve"}, env, base, workDir, true, nil)
}

// startBaseline starts the bare-frame baseline server, as a child process
// (chatload baseline-serve) or inside the harness.
func startBaseline(ctx context.Context, cfg *Config, workDir string) (*target, error) {
	if cfg.Baseline == BaselineInProcess {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("loadtest: baseline listener: %w", err)
		}
		srv := &http.Server{Handler: NewBaseline(cfg.TokensPerReply, cfg.TokensPerSecond), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		t, err := newTarget("baseline", "http://"+ln.Addr().String()+"/chat", os.Getpid(), true, nil)
		if err != nil {
			_ = srv.Close()
			return nil, err
		}
		t.stop = srv.Close
		return t, nil
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"baseline-serve", "-addr", "127.0.0.1:" + strconv.Itoa(port)}
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/chat"
	t, _, err := launch(ctx, "baseline", cfg.SelfPath, args, baseEnv(), base, workDir, true, nil)
	return t, err
}

// launch starts a server process and waits for base+"/readyz".
func launch(ctx context.Context, name, path string, args, env []string, base, workDir string,
	withMetrics bool, secret []byte) (*target, time.Duration, error) {
	started := time.Now()
	p, err := startProcess(name, path, args, env, filepath.Join(workDir, name+".log"))
	if err != nil {
		return nil, 0, err
	}
	readyIn, err := p.waitReady(ctx, base+"/readyz", started)
	if err != nil {
		return nil, 0, errors.Join(err, p.stop(stopGrace))
	}
	t, err := newTarget(name, base, p.pid(), withMetrics, secret)
	if err != nil {
		return nil, 0, errors.Join(err, p.stop(stopGrace))
	}
	t.stop = func() error { return p.stop(stopGrace) }
	return t, readyIn, nil
}

// baseEnv is what a started server inherits from the harness's
// environment: the system's basics and Go runtime tuning, nothing else.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// randomKey is 32 random bytes in base64, good as a JWT secret or an
// encryption key.
func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.StdEncoding.EncodeToString(b)
}

//go:build linux

package faults

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/bus"
	"github.com/chatboxhq/chatbox/internal/checks"
)

const (
	testSecret = "fault-injection-secret-long-enough-for-hs256"
	// waitLimit is a safety net against hangs, never an assertion on speed.
	waitLimit = 30 * time.Second
)

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// buildChatbox compiles cmd/chatbox into dir and returns the binary.
func buildChatbox(t *testing.T, dir string) string {
	t.Helper()
	root, err := checks.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "chatbox")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/chatbox")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/chatbox: %v\n%s", err, out)
	}
	return bin
}

// natsServer is the NATS server both instances share, run in the test
// process so the tests can stop it and bring it back on the same address.
type natsServer struct {
	t    *testing.T
	addr string
	srv  *bus.EmbeddedServer
}

func startNATS(t *testing.T) *natsServer {
	t.Helper()
	srv, err := bus.StartEmbedded(bus.EmbeddedOptions{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	n := &natsServer{t: t, addr: u.Host, srv: srv}
	t.Cleanup(func() { n.stop() })
	return n
}

func (n *natsServer) url() string { return "nats://" + n.addr }

func (n *natsServer) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv = nil
	}
}

// restart brings the server back on its old address.
func (n *natsServer) restart() {
	n.t.Helper()
	srv, err := bus.StartEmbedded(bus.EmbeddedOptions{Listen: n.addr})
	if err != nil {
		n.t.Fatalf("restart NATS on %s: %v", n.addr, err)
	}
	n.srv = srv
}

// cluster is a set of chatbox processes sharing a data directory.
type cluster struct {
	t      *testing.T
	bin    string
	dir    string
	nats   *natsServer
	llmURL string
	extra  map[string]string
}

// instance is one chatbox process.
type instance struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	baseURL string
	wsURL   string
	log     *bytes.Buffer
	exited  chan struct{}
}

// freePort returns a port that was free a moment ago; the child binds it.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs one more instance and waits until it is ready.
func (c *cluster) start(name string) *instance {
	c.t.Helper()
	port := freePort(c.t)
	env := map[string]string{
		"CHATBOX_ENV":             "development",
		"CHATBOX_DATA_DIR":        c.dir,
		"SQLITE_PATH":             filepath.Join(c.dir, "chatbox.db"),
		"JWT_SECRET":              testSecret,
		"ENCRYPTION_KEY":          testKey,
		"NATS_URL":                c.nats.url(),
		"SERVER_PORT":             fmt.Sprint(port),
		"LOG_FORMAT":              "json",
		"LOG_LEVEL":               "info",
		"SHUTDOWN_DRAIN_TIMEOUT":  "5s",
		"LLM_PROVIDER_1_ID":       "fake",
		"LLM_PROVIDER_1_TYPE":     "openai",
		"LLM_PROVIDER_1_ENDPOINT": c.llmURL,
		"LLM_PROVIDER_1_MODEL":    "fake-model",
		"LLM_PROVIDER_1_API_KEY":  "sk-fault-test",
		"LLM_FIRST_TOKEN_TIMEOUT": "2s",
		// With one provider there is nothing to fail over to, so its own
		// whole-reply limit is what ends a hanging reply.
		"LLM_PROVIDER_1_TIMEOUT": "4s",
		// A killed instance's questions are answered by the other one
		// once their lease expires: keep the wait short.
		"REPLY_LEASE_TTL": "2s",
	}
	for k, v := range c.extra {
		env[k] = v
	}
	cmd := exec.Command(c.bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	in := &instance{
		t: c.t, name: name, cmd: cmd, log: &bytes.Buffer{}, exited: make(chan struct{}),
		baseURL: fmt.Sprintf("http://127.0.0.1:%d/chat", port),
		wsURL:   fmt.Sprintf("ws://127.0.0.1:%d/chat/ws", port),
	}
	w := &syncWriter{buf: in.log}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = cmd.Wait()
		close(in.exited)
	}()
	c.t.Cleanup(func() {
		in.kill()
		if c.t.Failed() {
			c.t.Logf("log of %s:\n%s", name, w.String())
		}
	})
	in.waitReady(http.StatusOK)
	return in
}

// syncWriter guards the child's log buffer (stdout and stderr share it).
type syncWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// kill sends SIGKILL: no drain, no close frames, no final writes.
func (in *instance) kill() {
	if in.cmd.Process == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.exited
}

// readyz returns the readiness status and the failing checks' names.
func (in *instance) readyz() (int, map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.baseURL+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body struct{ Checks map[string]string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Checks
}

// waitReady polls readyz until it answers status.
func (in *instance) waitReady(status int) map[string]string {
	in.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		code, checks := in.readyz()
		if code == status {
			return checks
		}
		select {
		case <-in.exited:
			in.t.Fatalf("%s exited while waiting for readyz %d", in.name, status)
		default:
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%s: readyz stayed %d %v, want %d", in.name, code, checks, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// limitFileSize caps the size of files the instance may write (RLIMIT_FSIZE
// through prlimit): with a tiny cap every storage write fails as on a full
// disk, while reads keep working. 0 lifts the cap.
func (in *instance) limitFileSize(bytes uint64) {
	in.t.Helper()
	lim := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if bytes > 0 {
		lim.Cur = bytes
	}
	if err := unix.Prlimit(in.cmd.Process.Pid, unix.RLIMIT_FSIZE, &lim, nil); err != nil {
		in.t.Fatalf("prlimit: %v", err)
	}
}

// token mints an hour's token for user.
func token(t *testing.T, user string) string {
	t.Helper()
	tok, err := auth.Mint([]byte(testSecret), auth.MintOptions{UserID: user, Name: user, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// storedMessages reads a session's stored messages over REST.
func (in *instance) storedMessages(user, sessionID string) []storedMessage {
	in.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.baseURL+"/sessions/"+sessionID+"/messages?limit=500", nil)
	req.Header.Set("Authorization", "Bearer "+token(in.t, user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("messages of %s: %v", sessionID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		in.t.Fatalf("messages of %s: status %d", sessionID, resp.StatusCode)
	}
	var body struct{ Messages []storedMessage }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		in.t.Fatal(err)
	}
	return body.Messages
}

// storedMessage is the REST shape of a message, the fields checked here.
type storedMessage struct {
	Seq         int64  `json:"seq"`
	Sender      string `json:"sender"`
	ClientMsgID string `json:"client_msg_id"`
	Content     string `json:"content"`
	ReplyTo     int64  `json:"reply_to"`
	Interrupted bool   `json:"interrupted"`
}

// readinessWatch polls an instance's readiness in the background and
// records every answer, so a test can say what it reported during a fault.
type readinessWatch struct {
	mu       sync.Mutex
	codes    map[int]int
	failures []map[string]string // the checks of every answer but 200
	stop     chan struct{}
	done     chan struct{}
}

func watchReadiness(in *instance) *readinessWatch {
	w := &readinessWatch{codes: map[int]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			code, checks := in.readyz()
			w.mu.Lock()
			w.codes[code]++
			if code != http.StatusOK {
				w.failures = append(w.failures, checks)
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return w
}

// finish stops polling and returns how often each status was seen, and
// the checks reported with every status but 200.
func (w *readinessWatch) finish() (map[int]int, []map[string]string) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.codes, w.failures
}

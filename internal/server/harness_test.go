package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// The end-to-end tests run the real server (SQLite, embedded NATS, the
// OpenAI provider) on loopback against a fake OpenAI-compatible server,
// and talk to it with a real WebSocket client.

const (
	testSecret = "test-secret-that-is-long-enough-for-hs256!"
	waitLimit  = 10 * time.Second // safety net against hangs, never an assertion on speed
)

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// instance is one running server.
type instance struct {
	t       testing.TB
	app     *App
	baseURL string
	wsURL   string
	cancel  context.CancelFunc
	served  chan error
}

// testEnv is the environment for a server using the fake LLM at llmURL and
// the data directory dir; extra overrides it.
func testEnv(dir, llmURL string, extra map[string]string) map[string]string {
	env := map[string]string{
		"CHATBOX_DATA_DIR":             dir,
		"JWT_SECRET":                   testSecret,
		"ENCRYPTION_KEY":               testKey,
		"LLM_PROVIDER_1_ID":            "fake",
		"LLM_PROVIDER_1_NAME":          "Fake GPT",
		"LLM_PROVIDER_1_TYPE":          "openai",
		"LLM_PROVIDER_1_ENDPOINT":      llmURL,
		"LLM_PROVIDER_1_MODEL":         "fake-model",
		"LLM_PROVIDER_1_API_KEY":       "sk-test-key",
		"LLM_PROVIDER_1_SYSTEM_PROMPT": "You are a test assistant.",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func start(t testing.TB, env map[string]string) *instance {
	t.Helper()
	return startAt(t, env, "127.0.0.1:0")
}

// startAt is start listening on addr, e.g. the address of an instance
// stopped before, to restart a server in place.
func startAt(t testing.TB, env map[string]string, addr string) *instance {
	t.Helper()
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	app, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
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

// stop shuts the instance down as SIGTERM would and waits for it.
func (in *instance) stop() {
	if in.app == nil {
		return
	}
	in.cancel()
	select {
	case err := <-in.served:
		if err != nil {
			in.t.Errorf("Serve returned %v", err)
		}
	case <-time.After(time.Minute):
		in.t.Error("server did not shut down")
	}
	in.app.Close()
	in.app = nil
}

// token mints a token for user valid for ttl; a negative ttl gives a token
// that expired that long ago.
func token(t testing.TB, user string, ttl time.Duration) string {
	t.Helper()
	issued := time.Now()
	if ttl < 0 {
		issued, ttl = issued.Add(2*ttl), -ttl
	}
	tok, err := auth.Mint([]byte(testSecret), auth.MintOptions{UserID: user, Name: user, TTL: ttl, Now: issued})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func adminToken(t testing.TB, user string) string {
	t.Helper()
	tok, err := auth.Mint([]byte(testSecret), auth.MintOptions{UserID: user, Name: "Admin " + user, Admin: true, TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// client is a WebSocket client speaking protocol v1.
type client struct {
	t    testing.TB
	conn *websocket.Conn
}

// frame is a decoded server frame.
type frame map[string]any

func (f frame) str(k string) string {
	s, _ := f[k].(string)
	return s
}

func (f frame) num(k string) int64 {
	n, _ := f[k].(float64)
	return int64(n)
}

func (in *instance) dial(user string) *client {
	in.t.Helper()
	return in.dialToken(token(in.t, user, time.Hour))
}

// dialAdmin connects as an admin; its connection follows the admin feed.
func (in *instance) dialAdmin(user string) *client {
	in.t.Helper()
	return in.dialToken(adminToken(in.t, user))
}

func (in *instance) dialToken(tok string) *client {
	in.t.Helper()
	c, resp, err := in.tryDial(tok, nil)
	if err != nil {
		in.t.Fatalf("dial: %v (response %v)", err, resp)
	}
	hello := c.read()
	if hello.str("type") != "connection_status" {
		in.t.Fatalf("first frame = %v, want connection_status", hello)
	}
	return c
}

func (in *instance) tryDial(tok string, header http.Header) (*client, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: waitLimit}
	conn, resp, err := d.Dial(in.wsURL+"?token="+tok, header)
	if err != nil {
		return nil, resp, err
	}
	c := &client{t: in.t, conn: conn}
	in.t.Cleanup(func() { _ = conn.Close() })
	return c, resp, nil
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) sendRaw(kind int, data []byte) {
	c.t.Helper()
	if err := c.conn.WriteMessage(kind, data); err != nil {
		c.t.Fatalf("send raw: %v", err)
	}
}

// read returns the next frame, failing the test on a closed connection.
func (c *client) read() frame {
	c.t.Helper()
	f, err := c.next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) next() (frame, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(waitLimit))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("server sent invalid JSON %q: %v", data, err)
	}
	return f, nil
}

// until reads frames until one of type typ ("" for any) satisfies match,
// returning it and every frame read before it.
func (c *client) until(typ string, match func(frame) bool) (frame, []frame) {
	c.t.Helper()
	var seen []frame
	for {
		f := c.read()
		if (typ == "" || f.str("type") == typ) && (match == nil || match(f)) {
			return f, seen
		}
		seen = append(seen, f)
	}
}

// closeCode reads until the connection closes and returns its close code.
func (c *client) closeCode() int {
	c.t.Helper()
	for {
		_, err := c.next()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// reply collects one streamed reply: the deltas' text and the final
// stored ai message.
func (c *client) reply() (streamed string, final frame) {
	c.t.Helper()
	var b strings.Builder
	for {
		f := c.read()
		switch f.str("type") {
		case "ai_response":
			b.WriteString(f.str("delta"))
		case "message":
			if f.str("sender") == "ai" {
				return b.String(), f
			}
		case "error":
			c.t.Fatalf("error frame while waiting for a reply: %v", f)
		}
	}
}

// streamed reads ai_response frames until their deltas add up to want
// (however the server split them: live deltas or a resume snapshot).
func (c *client) streamed(want string) {
	c.t.Helper()
	got := ""
	for got != want {
		f := c.read()
		if f.str("type") == "ai_response" {
			got += f.str("delta")
			if !strings.HasPrefix(want, got) {
				c.t.Fatalf("streamed %q, want a prefix of %q", got, want)
			}
		}
	}
}

// ask sends a user message and returns its acknowledgement.
func (c *client) ask(sessionID, clientMsgID, content string) frame {
	c.t.Helper()
	m := map[string]any{"type": "user_message", "client_msg_id": clientMsgID, "content": content}
	if sessionID != "" {
		m["session_id"] = sessionID
	}
	c.send(m)
	ack, _ := c.until("message", func(f frame) bool { return f.str("client_msg_id") == clientMsgID })
	return ack
}

func getJSON(t testing.TB, url, tok string, into any) int {
	t.Helper()
	return doJSON(t, http.MethodGet, url, tok, into)
}

func doJSON(t testing.TB, method, url, tok string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("decode %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fakeLLM starts the fake OpenAI-compatible server.
func fakeLLM(t testing.TB, opts ...llmtest.Option) *llmtest.Server {
	return llmtest.NewServer(t, opts...)
}

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/server"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// The operator commands are tested end to end: a real server (development
// mode, demo model) writes conversations through its WebSocket, the
// command runs on the same storage, and a server reads the history back
// over REST. Everything is configured through the environment, as in a
// deployment, so tests here set it with t.Setenv and never run in parallel.

const (
	cmdTestSecret = "a-secret-of-at-least-thirty-two-bytes!!"
	waitLimit     = 10 * time.Second // safety net against hangs, never a speed assertion
)

// testKey returns a distinct base64 encryption key per name.
func testKey(name string) string {
	key := make([]byte, 32)
	copy(key, name+"-0123456789abcdef0123456789abcdef")
	return base64.StdEncoding.EncodeToString(key)
}

// storageKinds are the adapters every command test runs on.
func storageKinds() []string { return []string{"sqlite", "mongodb"} }

// useStorage points the environment at fresh storage of kind and returns
// its URL, as migrate takes it.
func useStorage(t *testing.T, kind string) string {
	t.Helper()
	t.Setenv("CHATBOX_DATA_DIR", t.TempDir())
	t.Setenv("JWT_SECRET", cmdTestSecret)
	switch kind {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "chat.db")
		t.Setenv("SQLITE_PATH", path)
		t.Setenv("MONGO_URI", "")
		return sqliteScheme + path
	default:
		uri := mongotest.NewTarget(t).URI("chat")
		t.Setenv("MONGO_URI", uri)
		return uri
	}
}

// testServer is a running Chatbox on the current environment.
type testServer struct {
	t    *testing.T
	base string // http://host:port/chat
	ws   string
	stop func()
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	app, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	stopped := false
	s := &testServer{
		t:    t,
		base: "http://" + ln.Addr().String() + cfg.Server.PathPrefix,
		ws:   "ws://" + ln.Addr().String() + cfg.Server.PathPrefix + "/ws",
	}
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		app.Close()
	}
	t.Cleanup(s.stop)
	return s
}

func userToken(t *testing.T, user string) string {
	t.Helper()
	tok, err := auth.Mint([]byte(cmdTestSecret), auth.MintOptions{UserID: user, Name: user, TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// say sends one user message (starting a session when sessionID is empty),
// waits until it is stored and the assistant's reply too, and returns the
// session id.
func (s *testServer) say(user, sessionID, clientMsgID, content string) string {
	s.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitLimit}
	conn, _, err := d.Dial(s.ws+"?token="+userToken(s.t, user), nil)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	msg := map[string]any{"type": "user_message", "client_msg_id": clientMsgID, "content": content}
	if sessionID != "" {
		msg["session_id"] = sessionID
	}
	if err := conn.WriteJSON(msg); err != nil {
		s.t.Fatalf("send: %v", err)
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(waitLimit))
		var f map[string]any
		if err := conn.ReadJSON(&f); err != nil {
			s.t.Fatalf("read: %v", err)
		}
		switch {
		case f["type"] == "error":
			s.t.Fatalf("error frame: %v", f)
		case f["type"] == "message" && f["client_msg_id"] == clientMsgID:
			sessionID, _ = f["session_id"].(string)
		case f["type"] == "message" && f["sender"] == "ai" && sessionID != "":
			return sessionID
		}
	}
}

// storedMessage is a message as the REST API returns it.
type storedMessage struct {
	Seq     int64  `json:"seq"`
	Sender  string `json:"sender"`
	Content string `json:"content"`
}

// history returns the HTTP status of reading a session's messages, and
// the messages.
func (s *testServer) history(user, sessionID string) (int, []storedMessage) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/sessions/"+sessionID+"/messages", nil)
	req.Header.Set("Authorization", "Bearer "+userToken(s.t, user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Messages []storedMessage `json:"messages"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			s.t.Fatalf("decode history: %v", err)
		}
	}
	return resp.StatusCode, body.Messages
}

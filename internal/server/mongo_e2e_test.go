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

	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// These tests run Chatbox on MongoDB's wire protocol: an embedded FerretDB
// that the tests stop and restart like a crashing database. They always
// use their own FerretDB (never TEST_MONGO_URI), since they kill it.

// mongoEnv is testEnv with storage on database db of the FerretDB. Server
// selection gives up after half a second, so a write during an outage
// fails (and is reported) quickly.
func mongoEnv(t *testing.T, db *mongotest.Server, llmURL string) map[string]string {
	return testEnv(t.TempDir(), llmURL, map[string]string{
		"MONGO_URI": db.URI("chat", "serverSelectionTimeoutMS=500"),
	})
}

// readyzUntil polls readyz until it answers want, and returns the checks of
// that answer.
func readyzUntil(t *testing.T, in *instance, want int) map[string]string {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		var body struct {
			Status string
			Checks map[string]string
		}
		code := getJSON(t, in.baseURL+"/readyz", "", &body)
		if code == want {
			return body.Checks
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz = %d %+v, want %d", code, body, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMongoOutageMidConversation(t *testing.T) {
	db := mongotest.Start(t)
	llm := fakeLLM(t)
	srv := start(t, mongoEnv(t, db, llm.URL))
	readyzUntil(t, srv, http.StatusOK)

	c := srv.dial("alice")
	ack := c.ask("", "c1", "hello")
	sid := ack.str("session_id")
	if _, final := c.reply(); final.num("seq") != 2 {
		t.Fatalf("reply = %v, want seq 2", final)
	}

	db.Stop()
	checks := readyzUntil(t, srv, http.StatusServiceUnavailable)
	if checks["storage"] == "ok" {
		t.Fatalf("readyz checks %v: storage reported ok while the database is down", checks)
	}
	c.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "c2", "content": "still there?"})
	f, _ := c.until("error", func(f frame) bool { return f.str("ref") == "c2" })
	if f["recoverable"] != true {
		t.Fatalf("error for a write that could not be stored: %v, want a recoverable error", f)
	}

	db.Restart()
	readyzUntil(t, srv, http.StatusOK)
	// The client retries with the same client_msg_id, on the same socket.
	if again := c.ask(sid, "c2", "still there?"); again.num("seq") != 3 {
		t.Fatalf("retry after the database came back: %v, want seq 3", again)
	}
	if _, final := c.reply(); final.num("seq") != 4 {
		t.Fatalf("reply after recovery: %v, want seq 4", final)
	}
	if again := c.ask(sid, "c3", "and now?"); again.num("seq") != 5 {
		t.Fatalf("next message: %v, want seq 5", again)
	}
	c.reply()

	var history struct {
		Messages []map[string]any `json:"messages"`
	}
	if code := getJSON(t, srv.baseURL+"/sessions/"+sid+"/messages", token(t, "alice", time.Hour), &history); code != http.StatusOK {
		t.Fatalf("history: %d", code)
	}
	var seqs []int64
	for _, m := range history.Messages {
		seqs = append(seqs, frame(m).num("seq"))
	}
	if len(seqs) != 6 || seqs[0] != 1 || seqs[5] != 6 {
		t.Fatalf("history seqs %v, want 1..6 with nothing lost or repeated", seqs)
	}
}

// serve runs app on a loopback port until the test ends, as start does for
// an App it builds itself.
func serve(t *testing.T, app *App, cfg *config.Config) *instance {
	t.Helper()
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

// syncBuffer is a log destination tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLogged waits until the log holds want.
func waitLogged(t *testing.T, log *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q; it holds:\n%s", want, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMongoStartsWhileDatabaseIsDown: start-up does not wait for MongoDB;
// readiness says so until it answers, then the indexes are created and the
// deployment guide's log line appears.
func TestMongoStartsWhileDatabaseIsDown(t *testing.T) {
	db := mongotest.Start(t)
	db.Stop()
	env := mongoEnv(t, db, fakeLLM(t).URL)
	env["LOG_FORMAT"] = "text"
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	var logged syncBuffer
	app, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatalf("New with the database down: %v (start-up must not wait for it)", err)
	}
	srv := serve(t, app, cfg)
	readyzUntil(t, srv, http.StatusServiceUnavailable)
	waitLogged(t, &logged, "MongoDB index not created")

	db.Restart()
	readyzUntil(t, srv, http.StatusOK)
	waitLogged(t, &logged, `msg="MongoDB indexes created successfully" indexes="[idx_user_id, idx_start_time, idx_admin_assisted, idx_user_start_time]"`)
	c := srv.dial("bob")
	if ack := c.ask("", "b1", "hi"); ack.num("seq") != 1 {
		t.Fatalf("first message once the database is up: %v", ack)
	}
}

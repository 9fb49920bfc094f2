package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// gatedReplies makes the fake model answer "reply to: <question>" word by
// word; a question containing "HOLD" pauses after three tokens until the
// test releases it.
type gatedReplies struct {
	mu   sync.Mutex
	gate chan struct{}
}

func newGatedReplies() *gatedReplies { return &gatedReplies{gate: make(chan struct{})} }

func (g *gatedReplies) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.gate)
	g.gate = make(chan struct{})
}

func (g *gatedReplies) reply(req llmtest.Request) llmtest.Reply {
	r := llmtest.Reply{Tokens: llmtest.Tokenize("reply to: " + req.LastUser())}
	if strings.Contains(req.LastUser(), "HOLD") {
		g.mu.Lock()
		r.Gate, r.GateAfter = g.gate, 3
		g.mu.Unlock()
	}
	return r
}

// TestChatEndToEnd walks a user through the core promises: a new session
// is acknowledged with a seq, the reply streams and is stored, the model
// sees the conversation so far, a reply survives the user's disconnect and
// is resumed, retries never duplicate, history survives a restart, and the
// database never holds plaintext.
func TestChatEndToEnd(t *testing.T) {
	replies := newGatedReplies()
	llm := fakeLLM(t, llmtest.WithReply(replies.reply))
	dir := t.TempDir()
	env := testEnv(dir, llm.URL, nil)
	srv := start(t, env)
	alice := srv.dial("alice")

	const secret = "my-unique-plaintext-marker-42"
	ack := alice.ask("", "c1", "hello "+secret)
	sessionID := ack.str("session_id")
	if sessionID == "" || ack.num("seq") != 1 || ack.str("sender") != "user" || ack.str("id") == "" {
		t.Fatalf("first ack = %v, want a new session's message with seq 1 from the user", ack)
	}
	streamed, answer := alice.reply()
	want := "reply to: hello " + secret
	if streamed != want || answer.str("content") != want || answer.num("seq") != 2 || answer.num("reply_to") != 1 {
		t.Fatalf("reply: streamed %q, stored %v; want %q with seq 2 replying to 1", streamed, answer, want)
	}

	t.Run("the model receives the conversation so far", func(t *testing.T) {
		alice.ask(sessionID, "c2", "and a second question")
		alice.reply()
		reqs := llm.Requests()
		last := reqs[len(reqs)-1]
		var got []string
		for _, m := range last.Messages {
			got = append(got, m.Role+": "+m.Content)
		}
		wantMsgs := []string{
			"system: You are a test assistant.",
			"user: hello " + secret,
			"assistant: " + want,
			"user: and a second question",
		}
		if strings.Join(got, "\n") != strings.Join(wantMsgs, "\n") {
			t.Fatalf("LLM request messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantMsgs, "\n"))
		}
		if last.User != "alice" || last.Model != "fake-model" {
			t.Errorf("request user=%q model=%q, want alice and fake-model", last.User, last.Model)
		}
	})

	t.Run("a duplicate client_msg_id is acknowledged with the original and stores nothing", func(t *testing.T) {
		before := len(llm.Requests())
		dup := alice.ask(sessionID, "c2", "and a second question (retried)")
		if dup.num("seq") != 3 || dup.str("content") != "and a second question" {
			t.Fatalf("duplicate ack = %v, want the original message with seq 3", dup)
		}
		var body struct{ Messages []map[string]any }
		getJSON(t, srv.baseURL+"/sessions/"+sessionID+"/messages", token(t, "alice", time.Minute), &body)
		if len(body.Messages) != 4 {
			t.Fatalf("stored %d messages after a duplicate, want 4", len(body.Messages))
		}
		alice.send(map[string]any{"type": "ping"})
		alice.until("pong", nil)
		if n := len(llm.Requests()); n != before {
			t.Fatalf("a duplicate of an answered message asked the model again (%d -> %d requests)", before, n)
		}
	})

	t.Run("a reply continues after a disconnect and resumes where the client stopped", func(t *testing.T) {
		ack := alice.ask(sessionID, "c3", "HOLD please")
		// Three tokens arrive, then the model pauses; the user goes away.
		got := "reply to: HOLD"
		alice.streamed(got)
		_ = alice.conn.Close()

		back := srv.dial("alice")
		back.send(map[string]any{"type": "resume", "session_id": sessionID, "last_seq": ack.num("seq")})
		snapshot, _ := back.until("ai_response", nil)
		if snapshot.str("delta") != got {
			t.Fatalf("resume snapshot %q, want the text generated so far %q", snapshot.str("delta"), got)
		}
		if f, _ := back.until("resumed", nil); f["streaming"] != true {
			t.Fatalf("resumed = %v, want streaming true", f)
		}
		replies.release()
		rest, final := back.reply()
		full := "reply to: HOLD please"
		if got+rest != full || final.str("content") != full || final.num("seq") != ack.num("seq")+1 {
			t.Fatalf("resumed reply %q + %q, stored %v; want %q exactly once", got, rest, final, full)
		}

		// A client that was away for the whole reply gets it from storage.
		late := srv.dial("alice")
		late.send(map[string]any{"type": "resume", "session_id": sessionID, "last_seq": ack.num("seq")})
		m, _ := late.until("message", nil)
		if m.str("content") != full {
			t.Fatalf("late resume got %v, want the stored reply", m)
		}
		if f, _ := late.until("resumed", nil); f.num("last_seq") != final.num("seq") || f["streaming"] != false {
			t.Fatalf("late resumed = %v", f)
		}
		alice = back
	})

	t.Run("history survives a restart and the database holds no plaintext", func(t *testing.T) {
		srv.stop()
		for _, suffix := range []string{"", "-wal"} {
			raw, err := os.ReadFile(filepath.Join(dir, "chatbox.db"+suffix))
			if err != nil && suffix == "" {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("chatbox.db%s contains plaintext message content", suffix)
			}
		}
		again := start(t, env)
		var body struct{ Messages []map[string]any }
		if code := getJSON(t, again.baseURL+"/sessions/"+sessionID+"/messages", token(t, "alice", time.Minute), &body); code != 200 {
			t.Fatalf("messages after restart: status %d", code)
		}
		if len(body.Messages) != 6 {
			t.Fatalf("after restart %d messages, want 6", len(body.Messages))
		}
		for i, m := range body.Messages {
			if int(m["seq"].(float64)) != i+1 {
				t.Fatalf("message %d has seq %v: seqs must be gap-free from 1", i, m["seq"])
			}
		}
		if body.Messages[0]["content"] != "hello "+secret {
			t.Fatalf("first message after restart = %v", body.Messages[0])
		}
		c := again.dial("alice")
		c.send(map[string]any{"type": "resume", "session_id": sessionID, "last_seq": 5})
		m, _ := c.until("message", nil)
		if m.num("seq") != 6 {
			t.Fatalf("resume after restart delivered %v, want seq 6", m)
		}
	})
}

// TestEveryTabReceivesEverything: two connections of one user follow one
// session; both see each message and reply once, and closing one leaves
// the other working.
func TestEveryTabReceivesEverything(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	tab1 := srv.dial("bob")
	ack := tab1.ask("", "t1", "first")
	sid := ack.str("session_id")
	tab1.reply()

	tab2 := srv.dial("bob")
	tab2.send(map[string]any{"type": "resume", "session_id": sid, "last_seq": 2})
	tab2.until("resumed", nil)

	tab1.ask(sid, "t2", "second")
	for name, c := range map[string]*client{"tab1": tab1, "tab2": tab2} {
		var seqs []int64
		for {
			f := c.read()
			if f.str("type") != "message" {
				continue
			}
			seqs = append(seqs, f.num("seq"))
			if f.str("sender") == "ai" {
				break
			}
		}
		want := []int64{4} // tab1 already has its ack, seq 3
		if name == "tab2" {
			want = []int64{3, 4}
		}
		if fmt.Sprint(seqs) != fmt.Sprint(want) {
			t.Fatalf("%s received seqs %v, want %v: each message exactly once", name, seqs, want)
		}
	}
	_ = tab1.conn.Close()
	tab2.ask(sid, "t3", "third")
	if _, final := tab2.reply(); final.num("seq") != 6 {
		t.Fatalf("after closing the other tab, reply seq = %v, want 6", final.num("seq"))
	}
}

// TestOwnerOnly: another user can neither read, resume nor write a session.
func TestOwnerOnly(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	alice := srv.dial("alice")
	sid := alice.ask("", "a1", "private").str("session_id")

	if code := getJSON(t, srv.baseURL+"/sessions/"+sid+"/messages", token(t, "mallory", time.Minute), nil); code != 404 {
		t.Fatalf("another user's GET messages: status %d, want 404", code)
	}
	mallory := srv.dial("mallory")
	mallory.send(map[string]any{"type": "resume", "session_id": sid, "last_seq": 0})
	if f, _ := mallory.until("error", nil); f.str("code") != "not_found" {
		t.Fatalf("resume of another user's session: %v, want not_found", f)
	}
	mallory.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "m1", "content": "hi"})
	if f, _ := mallory.until("error", nil); f.str("code") != "not_found" || f.str("ref") != "m1" {
		t.Fatalf("write to another user's session: %v, want not_found for ref m1", f)
	}
	var list struct{ Sessions []map[string]any }
	getJSON(t, srv.baseURL+"/sessions", token(t, "mallory", time.Minute), &list)
	if len(list.Sessions) != 0 {
		t.Fatalf("mallory lists %d sessions, want 0", len(list.Sessions))
	}
}

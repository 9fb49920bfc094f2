package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// TestGracefulShutdown is SIGTERM during a streaming reply: readiness turns
// 503 at once, new upgrades are refused, the reply finishes and is stored,
// the socket is closed with 1012, and after a restart the client resumes
// and finds everything.
func TestGracefulShutdown(t *testing.T) {
	replies := newGatedReplies()
	llm := fakeLLM(t, llmtest.WithReply(replies.reply))
	dir := t.TempDir()
	env := testEnv(dir, llm.URL, nil)
	srv := start(t, env)

	if code := getJSON(t, srv.baseURL+"/readyz", "", nil); code != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d", code)
	}
	c := srv.dial("ivan")
	ack := c.ask("", "s1", "HOLD during shutdown")
	c.until("ai_response", nil) // the reply is streaming

	srv.cancel() // what SIGTERM does in main
	deadline := time.Now().Add(waitLimit)
	for getJSON(t, srv.baseURL+"/readyz", "", nil) != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not turn 503 while draining")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, resp, err := srv.tryDial(token(t, "ivan", time.Hour), nil); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("upgrade while draining: err=%v resp=%v, want 503", err, resp)
	}

	replies.release()
	_, final := c.reply()
	if final.str("content") != "reply to: HOLD during shutdown" || final["interrupted"] == true {
		t.Fatalf("reply finished during drain = %v, want the complete reply", final)
	}
	if code := c.closeCode(); code != websocket.CloseServiceRestart {
		t.Fatalf("close code %d, want 1012", code)
	}
	srv.stop()

	again := start(t, env)
	back := again.dial("ivan")
	back.send(map[string]any{"type": "resume", "session_id": ack.str("session_id"), "last_seq": 0})
	var seqs []int64
	f, seen := back.until("resumed", nil)
	for _, m := range seen {
		seqs = append(seqs, m.num("seq"))
	}
	if len(seqs) != 2 || seqs[0] != 1 || seqs[1] != 2 || f.num("last_seq") != 2 {
		t.Fatalf("after restart resume delivered seqs %v (resumed %v), want [1 2]", seqs, f)
	}
}

// TestShutdownDeadlineStoresPartialReply: a reply still running when the
// drain timeout ends is cut, and what it produced is stored as interrupted.
func TestShutdownDeadlineStoresPartialReply(t *testing.T) {
	replies := newGatedReplies()
	llm := fakeLLM(t, llmtest.WithReply(replies.reply))
	dir := t.TempDir()
	env := testEnv(dir, llm.URL, map[string]string{"SHUTDOWN_DRAIN_TIMEOUT": "1s"})
	srv := start(t, env)
	c := srv.dial("judy")
	ack := c.ask("", "p1", "HOLD forever")
	c.until("ai_response", nil)
	srv.stop() // the gate is never released

	again := start(t, env)
	var body struct{ Messages []map[string]any }
	getJSON(t, again.baseURL+"/sessions/"+ack.str("session_id")+"/messages", token(t, "judy", time.Minute), &body)
	if len(body.Messages) != 2 {
		t.Fatalf("stored %d messages, want the question and the partial reply", len(body.Messages))
	}
	partial := body.Messages[1]
	if partial["sender"] != "ai" || partial["interrupted"] != true || partial["content"] != "reply to: HOLD" {
		t.Fatalf("partial reply stored as %v, want interrupted ai text %q", partial, "reply to: HOLD")
	}
}

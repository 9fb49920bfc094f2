package server

import (
	"strings"
	"sync"
	"testing"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// followUpReplies answers "HOLD ..." questions with three tokens, then
// waits for release; "FAIL ..." questions the same way, then with a
// provider error instead of the rest. Anything else is echoed at once.
type followUpReplies struct {
	mu   sync.Mutex
	gate chan struct{}
}

func newFollowUpReplies() *followUpReplies { return &followUpReplies{gate: make(chan struct{})} }

func (f *followUpReplies) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.gate)
	f.gate = make(chan struct{})
}

func (f *followUpReplies) reply(req llmtest.Request) llmtest.Reply {
	q := req.LastUser()
	r := llmtest.Reply{Tokens: llmtest.Tokenize("reply to: " + q)}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(q, "HOLD"):
		r.Gate, r.GateAfter = f.gate, 3
	case strings.HasPrefix(q, "FAIL"):
		r.Gate, r.GateAfter, r.ErrorAfter = f.gate, 3, 3
	}
	return r
}

// TestFollowUpsDuringAReplyAreAnswered: a user sends a question and, while
// its reply streams, two more. The reply to the first finishes, then the
// assistant answers once more with both follow-ups in one turn: three
// questions, two replies, none unanswered and none answered twice, on one
// instance or two, and whatever happened to the first reply.
func TestFollowUpsDuringAReplyAreAnswered(t *testing.T) {
	cases := []struct {
		name string
		// instances: 1, or 2 with the follow-ups sent through the second.
		instances int
		first     string
		// interrupt ends the first reply, given the admin's client and the
		// session, once the follow-ups are stored; nil lets it finish.
		interrupt func(t *testing.T, replies *followUpReplies, admin *client, sid string)
		// firstAnswered: the first reply is stored (complete or cut).
		firstAnswered bool
	}{
		{name: "one instance", instances: 1, first: "HOLD first question", firstAnswered: true},
		{name: "follow-ups through another instance", instances: 2, first: "HOLD first question", firstAnswered: true},
		{name: "after a failed reply", instances: 2, first: "FAIL first question", firstAnswered: true},
		{
			name: "after a takeover and release", instances: 2, first: "HOLD first question", firstAnswered: true,
			interrupt: func(t *testing.T, _ *followUpReplies, admin *client, sid string) {
				admin.send(map[string]any{"type": "takeover", "session_id": sid})
				admin.until("session_status", func(f frame) bool { return f.str("owner") == "human" })
				admin.send(map[string]any{"type": "release", "session_id": sid})
				admin.until("session_status", func(f frame) bool { return f.str("owner") == "ai" })
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			replies := newFollowUpReplies()
			llm := fakeLLM(t, llmtest.WithReply(replies.reply))
			nodes := cluster(t, tc.instances, llm.URL, sharedSQLite)
			a, b := nodes[0], nodes[len(nodes)-1]
			alice := a.dial("alice")
			ack := alice.ask("", "q1", tc.first)
			sid := ack.str("session_id")
			alice.until("ai_response", nil) // the first reply streams

			// The follow-ups go through another connection, on the other
			// instance when there are two; the first one keeps listening.
			other := b.dial("alice")
			other.send(map[string]any{"type": "resume", "session_id": sid, "last_seq": 1})
			other.until("resumed", nil)
			if other.ask(sid, "q2", "second").num("seq") != 2 || other.ask(sid, "q3", "third").num("seq") != 3 {
				t.Fatal("follow-ups not stored as seq 2 and 3")
			}
			if tc.interrupt != nil {
				admin := b.dialAdmin("ada")
				admin.send(map[string]any{"type": "watch", "session_id": sid})
				admin.until("resumed", nil)
				tc.interrupt(t, replies, admin, sid)
			}
			replies.release()

			// The follow-ups' reply covers both and comes to the first
			// connection like any other.
			final, _ := alice.until("message", func(f frame) bool { return f.str("sender") == "ai" && f.num("reply_to") == 3 })
			if want := strings.Join(llmtest.Tokenize("reply to: second\n\nthird"), ""); final.str("content") != want {
				t.Fatalf("reply to the follow-ups = %q, want %q", final.str("content"), want)
			}
			// The model saw the first exchange, then both follow-ups as
			// the newest turn.
			reqs := llm.Requests()
			last := reqs[len(reqs)-1].Messages
			if got := last[len(last)-1]; got.Role != "user" || got.Content != "second\n\nthird" {
				t.Fatalf("the model's newest turn = %+v, want both follow-ups", got)
			}
			if tc.firstAnswered && last[len(last)-2].Role != "assistant" {
				t.Fatalf("the model's context lacks the first reply before the follow-ups: %+v", last)
			}

			// A new question afterwards is answered once too, which also
			// shows no late third reply to the burst is on its way first.
			if alice.ask(sid, "q4", "fourth").num("seq") == 0 {
				t.Fatal("fourth question not acknowledged")
			}
			alice.until("message", func(f frame) bool { return f.str("sender") == "ai" && f.str("content") == "reply to: fourth" })
			var page struct{ Messages []frame }
			getJSON(t, a.baseURL+"/sessions/"+sid+"/messages", token(t, "alice", waitLimit), &page)
			replyTo := map[int64]int{}
			var userSeqs []int64
			for _, m := range page.Messages {
				switch m.str("sender") {
				case "user":
					userSeqs = append(userSeqs, m.num("seq"))
				case "ai":
					replyTo[m.num("reply_to")]++
				}
			}
			for q, n := range replyTo {
				if n > 1 {
					t.Errorf("question seq %d answered %d times: %v", q, n, page.Messages)
				}
			}
			for _, seq := range userSeqs {
				covered := false
				for q := range replyTo {
					covered = covered || q >= seq
				}
				if !covered {
					t.Errorf("question seq %d has no reply: %v", seq, page.Messages)
				}
			}
			if len(replyTo) != 3 {
				t.Errorf("replies to %v, want exactly one each to the first question, the follow-ups and the fourth", replyTo)
			}
			if n := len(llm.Requests()); n != 3 {
				t.Errorf("the model was asked %d times, want 3", n)
			}
		})
	}
}

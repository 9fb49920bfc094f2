package server

import (
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm/difytest"
	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// TestTokenUsageAndDailyBudget: the provider's own usage numbers are stored
// per session and per user and day, and once a user's replies used up the
// daily budget, the next message gets quota_exceeded and is not stored;
// other users keep chatting.
func TestTokenUsageAndDailyBudget(t *testing.T) {
	llm := fakeLLM(t, llmtest.WithReply(func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: []string{"fine", " thanks"}, Usage: &llmtest.Usage{PromptTokens: 30, CompletionTokens: 10}}
	}))
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"LLM_DAILY_TOKEN_BUDGET": "50"}))

	c := srv.dial("dora")
	id := c.ask("", "b1", "how are you?").str("session_id")
	c.reply()
	c.ask(id, "b2", "and now?")
	c.reply()

	// Usage is stored just after the reply is published.
	repo := srv.app.repo
	deadline := time.Now().Add(waitLimit)
	for {
		u, err := repo.SessionUsage(t.Context(), id)
		if err == nil && u == (chat.Usage{InputTokens: 60, OutputTokens: 20}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session usage = %+v, %v; want 60 in, 20 out", u, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if u, err := repo.UserUsage(t.Context(), "dora", time.Now()); err != nil || u.Total() != 80 {
		t.Fatalf("dora's usage today = %+v, %v; want 80 tokens", u, err)
	}

	c.send(map[string]any{"type": "user_message", "session_id": id, "client_msg_id": "b3", "content": "one more?"})
	f, _ := c.until("error", func(f frame) bool { return f.str("ref") == "b3" })
	if f.str("code") != "quota_exceeded" || f.num("retry_after_ms") <= 0 {
		t.Fatalf("over budget: %v, want quota_exceeded with retry_after_ms", f)
	}
	msgs, err := repo.ListMessages(t.Context(), id, 0, 100)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("stored %d messages (%v), want the 4 before the refused one", len(msgs), err)
	}

	other := srv.dial("eve")
	other.ask("", "e1", "hello")
	if streamed, _ := other.reply(); streamed != "fine thanks" {
		t.Fatalf("another user's reply = %q", streamed)
	}
}

// TestReplyIsCappedByTheRemainingBudget: a reply may not ask the model for
// more output tokens than the user's daily budget has left, whatever the
// model's own limit; the first reply of the day asks for the whole budget
// at most.
func TestReplyIsCappedByTheRemainingBudget(t *testing.T) {
	llm := fakeLLM(t, llmtest.WithReply(func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: []string{"ok"}, Usage: &llmtest.Usage{PromptTokens: 300, CompletionTokens: 200}}
	}))
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{
		"LLM_DAILY_TOKEN_BUDGET":           "1000",
		"LLM_PROVIDER_1_MAX_OUTPUT_TOKENS": "4000",
	}))
	c := srv.dial("gus")
	id := c.ask("", "g1", "tell me everything").str("session_id")
	c.reply()
	deadline := time.Now().Add(waitLimit)
	for {
		if u, err := srv.app.repo.UserUsage(t.Context(), "gus", time.Now()); err == nil && u.Total() == 500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first reply's usage was not stored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.ask(id, "g2", "and more")
	c.reply()

	reqs := llm.Requests()
	if len(reqs) != 2 {
		t.Fatalf("the model got %d requests, want 2", len(reqs))
	}
	limit := func(r llmtest.Request) int { return max(r.MaxTokens, r.MaxCompletionTokens) }
	if got := limit(reqs[0]); got != 1000 {
		t.Errorf("first reply asked for %d output tokens, want the whole budget, 1000 (the model allows 4000)", got)
	}
	if got := limit(reqs[1]); got != 500 {
		t.Errorf("second reply asked for %d output tokens, want the 500 left", got)
	}
}

// TestDifyKeepsItsConversationAcrossRestarts: the conversation id Dify
// assigns is stored with the session and sent with every later reply, also
// after the server restarts, so Dify keeps its own memory.
func TestDifyKeepsItsConversationAcrossRestarts(t *testing.T) {
	dify := difytest.NewServer(t, difytest.WithAPIKey("app-test"))
	dir := t.TempDir()
	env := testEnv(dir, "", map[string]string{
		"LLM_PROVIDER_1_ID":       "support-app",
		"LLM_PROVIDER_1_NAME":     "Support",
		"LLM_PROVIDER_1_TYPE":     "dify",
		"LLM_PROVIDER_1_ENDPOINT": dify.URL,
		"LLM_PROVIDER_1_MODEL":    "",
		"LLM_PROVIDER_1_API_KEY":  "app-test",
	})
	srv := start(t, env)
	c := srv.dial("fay")
	id := c.ask("", "d1", "my order is late").str("session_id")
	c.reply()
	c.ask(id, "d2", "it is order 42")
	c.reply()
	srv.stop()

	srv = start(t, env)
	c = srv.dial("fay")
	c.ask(id, "d3", "any news?")
	c.reply()

	reqs := dify.Requests()
	if len(reqs) != 3 {
		t.Fatalf("dify got %d requests, want 3", len(reqs))
	}
	conv := reqs[1].ConversationID
	if reqs[0].ConversationID != "" || conv == "" || !dify.Knows(conv) {
		t.Fatalf("conversation ids sent: %q then %q, want none then the one Dify assigned", reqs[0].ConversationID, conv)
	}
	if reqs[2].ConversationID != conv || reqs[2].Query != "any news?" || reqs[0].User != "fay" {
		t.Fatalf("after the restart: %+v, want conversation %q, the new question only, user fay", reqs[2], conv)
	}
}

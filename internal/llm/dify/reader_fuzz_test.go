package dify

import (
	"context"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// FuzzReader feeds whole response bodies, as a Dify server (or anything
// posing as one) could send them, through the event loop: it must never
// panic, the completion must hold exactly what was emitted, and a body
// without message_end must never pass for a complete answer.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		"event: ping\n\ndata: {\"event\":\"message\",\"task_id\":\"t\",\"conversation_id\":\"c\",\"answer\":\"hi\"}\n\n" +
			"data: {\"event\":\"message_end\",\"metadata\":{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}}\n\n",
		"data: {\"event\":\"error\",\"status\":400,\"code\":\"invalid_param\",\"message\":\"bad\"}\n\n",
		"data: {\"event\":\"message_replace\",\"answer\":\"x\"}\n\n",
		"data: {\"event\":\"agent_message\",\"answer\":\"a\"}\n\ndata: {\"event\":\"message\",\"answer\":\"b\"}\n\n",
		"data: {\"event\":\"workflow_finished\",\"data\":{\"status\":\"failed\",\"error\":\"boom\"}}\n\n",
		"data: {\"event\":\"error\",\"code\":7}\n\n",
		"data: not json\n\n",
		"data: {\"event\":\"message\",\"answer\":\"cut",
	} {
		f.Add(seed)
	}
	p := &Provider{name: "fuzz", apiKey: "app-key"}
	f.Fuzz(func(t *testing.T, body string) {
		var emitted strings.Builder
		r := reader{
			p: p, ctx: context.Background(), convs: chat.NewConversationMap(nil), user: "u",
			emit: func(d string) error { emitted.WriteString(d); return nil },
		}
		got, err := r.read(strings.NewReader(body))
		if got.Text != emitted.String() {
			t.Fatalf("text %q, emitted %q", got.Text, emitted.String())
		}
		if err == nil && !strings.Contains(body, "message_end") {
			t.Fatalf("a body without message_end passed as complete: %q", body)
		}
	})
}

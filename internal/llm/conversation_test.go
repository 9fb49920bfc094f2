package llm_test

import (
	"context"
	"maps"
	"testing"

	"github.com/chatboxhq/chatbox/internal/llm"
)

func TestConversationsTravelInTheContext(t *testing.T) {
	if c := llm.ConversationsFrom(context.Background()); c != nil {
		t.Fatalf("empty context holds %v", c)
	}
	stored := map[string]string{"dify-support": "conv-1"}
	m := llm.NewConversationMap(stored)
	ctx := llm.WithConversations(context.Background(), m)
	c := llm.ConversationsFrom(ctx)
	if c == nil || c.ConversationID("dify-support") != "conv-1" || c.ConversationID("other") != "" {
		t.Fatalf("conversations from context: %v", c)
	}
	c.SetConversationID("dify-sales", "conv-2")
	c.SetConversationID("dify-support", "conv-3")
	want := map[string]string{"dify-sales": "conv-2", "dify-support": "conv-3"}
	if got := m.Changed(); !maps.Equal(got, want) {
		t.Fatalf("changed = %v, want %v", got, want)
	}
	if stored["dify-support"] != "conv-1" {
		t.Fatal("the map given to NewConversationMap was modified")
	}
	if llm.NewConversationMap(nil).ConversationID("x") != "" {
		t.Fatal("a map from nil ids is not empty")
	}
}

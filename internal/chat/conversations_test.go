package chat

import (
	"maps"
	"testing"
)

func TestConversationMap(t *testing.T) {
	stored := map[string]string{"dify-support": "conv-1"}
	m := NewConversationMap(stored)
	if m.ConversationID("dify-support") != "conv-1" || m.ConversationID("other") != "" {
		t.Fatalf("ids not loaded: %v", m.ids)
	}
	m.SetConversationID("dify-sales", "conv-2")
	m.SetConversationID("dify-support", "conv-3")
	want := map[string]string{"dify-sales": "conv-2", "dify-support": "conv-3"}
	if got := m.Changed(); !maps.Equal(got, want) {
		t.Fatalf("changed = %v, want %v", got, want)
	}
	if stored["dify-support"] != "conv-1" {
		t.Fatal("the map given to NewConversationMap was modified")
	}
	if NewConversationMap(nil).ConversationID("x") != "" {
		t.Fatal("a map from nil ids is not empty")
	}
}

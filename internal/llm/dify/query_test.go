package dify

import (
	"errors"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

func TestBuildQuery(t *testing.T) {
	u := func(s string) chat.Turn { return chat.Turn{Role: chat.RoleUser, Content: s} }
	a := func(s string) chat.Turn { return chat.Turn{Role: chat.RoleAssistant, Content: s} }
	tests := []struct {
		name            string
		turns           []chat.Turn
		hasConversation bool
		want            string
	}{
		{"first question", []chat.Turn{u("hi")}, false, "hi"},
		{"Dify remembers the rest", []chat.Turn{u("q1"), a("a1"), u("q2")}, true, "q2"},
		{"trailing user turns are one question", []chat.Turn{u("q1"), a("a1"), u("part 1"), u("part 2")}, true, "part 1\n\npart 2"},
		{"history as a transcript without a conversation", []chat.Turn{u("q1"), a("a1"), u("q2")}, false,
			"Earlier in this conversation:\nUser: q1\nAssistant: a1\n\nThe user's new message:\nq2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildQuery(tt.turns, tt.hasConversation)
			if err != nil || got != tt.want {
				t.Fatalf("buildQuery = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, bad := range [][]chat.Turn{nil, {a("x")}, {u(" ")}, {{Role: "tool", Content: "x"}, u("y")}} {
		if _, err := buildQuery(bad, false); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("buildQuery(%v) error %v, want ErrInvalid", bad, err)
		}
	}
}

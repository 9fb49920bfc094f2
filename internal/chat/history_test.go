package chat

import (
	"reflect"
	"strings"
	"testing"
)

func msg(seq int64, sender Sender, content string) Message {
	return Message{MessageMeta: MessageMeta{Seq: seq, Sender: sender}, Content: content}
}

// reply is an ai message at seq answering the user message replyTo.
func reply(seq, replyTo int64, content string) Message {
	m := msg(seq, SenderAI, content)
	m.ReplyTo = replyTo
	return m
}

func TestBuildTurns(t *testing.T) {
	tests := []struct {
		name     string
		msgs     []Message
		maxChars int
		want     []Turn
	}{
		{
			name:     "alternating conversation kept in order",
			msgs:     []Message{msg(1, SenderUser, "hi"), msg(2, SenderAI, "hello"), msg(3, SenderUser, "how?")},
			maxChars: 1000,
			want:     []Turn{{Role: RoleUser, Content: "hi"}, {Role: RoleAssistant, Content: "hello"}, {Role: RoleUser, Content: "how?"}},
		},
		{
			name:     "human admin answers are assistant context, system notices are not",
			msgs:     []Message{msg(1, SenderUser, "q"), msg(2, SenderSystem, "agent joined"), msg(3, SenderAdmin, "human answer"), msg(4, SenderUser, "q2")},
			maxChars: 1000,
			want:     []Turn{{Role: RoleUser, Content: "q"}, {Role: RoleAssistant, Content: "human answer"}, {Role: RoleUser, Content: "q2"}},
		},
		{
			name:     "consecutive user messages merge so roles alternate",
			msgs:     []Message{msg(1, SenderUser, "a"), msg(2, SenderUser, "b")},
			maxChars: 1000,
			want:     []Turn{{Role: RoleUser, Content: "a\n\nb"}},
		},
		{
			name:     "oldest turns dropped to fit the budget, result starts with user",
			msgs:     []Message{msg(1, SenderUser, strings.Repeat("x", 50)), msg(2, SenderAI, strings.Repeat("y", 50)), msg(3, SenderUser, "last")},
			maxChars: 60,
			want:     []Turn{{Role: RoleUser, Content: "last"}},
		},
		{
			name:     "the question is kept whole even over budget",
			msgs:     []Message{msg(1, SenderUser, strings.Repeat("z", 100))},
			maxChars: 10,
			want:     []Turn{{Role: RoleUser, Content: strings.Repeat("z", 100)}},
		},
		{
			name:     "follow-ups sent while a reply streamed come after that reply",
			msgs:     []Message{msg(1, SenderUser, "q1"), msg(2, SenderUser, "q2"), msg(3, SenderUser, "q3"), reply(4, 1, "a1")},
			maxChars: 1000,
			want:     []Turn{{Role: RoleUser, Content: "q1"}, {Role: RoleAssistant, Content: "a1"}, {Role: RoleUser, Content: "q2\n\nq3"}},
		},
		{
			name: "two replies each follow their own question",
			msgs: []Message{msg(1, SenderUser, "q1"), msg(2, SenderUser, "q2"), reply(3, 1, "a1"),
				msg(4, SenderUser, "q3"), reply(5, 2, "a2")},
			maxChars: 1000,
			want: []Turn{{Role: RoleUser, Content: "q1"}, {Role: RoleAssistant, Content: "a1"},
				{Role: RoleUser, Content: "q2"}, {Role: RoleAssistant, Content: "a2"}, {Role: RoleUser, Content: "q3"}},
		},
		{
			name:     "history window starting with an answer drops it",
			msgs:     []Message{msg(5, SenderAI, "old answer"), msg(6, SenderUser, "new q")},
			maxChars: 1000,
			want:     []Turn{{Role: RoleUser, Content: "new q"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildTurns(tt.msgs, tt.maxChars); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("buildTurns() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestPendingQuestion(t *testing.T) {
	tests := []struct {
		name    string
		msgs    []Message
		wantSeq int64
		owed    bool
	}{
		{"empty", nil, 0, false},
		{"unanswered question", []Message{msg(1, SenderUser, "q")}, 1, true},
		{"answered by the ai", []Message{msg(1, SenderUser, "q"), msg(2, SenderAI, "a")}, 0, false},
		{"answered by a human", []Message{msg(1, SenderUser, "q"), msg(2, SenderAdmin, "a")}, 0, false},
		{"system notice does not answer", []Message{msg(1, SenderUser, "q"), msg(2, SenderSystem, "n")}, 1, true},
		{"newest of two questions", []Message{msg(1, SenderUser, "q"), msg(2, SenderAI, "a"), msg(3, SenderUser, "q2")}, 3, true},
		{"follow-ups sent while the reply streamed stay owed",
			[]Message{msg(1, SenderUser, "q1"), msg(2, SenderUser, "q2"), msg(3, SenderUser, "q3"), reply(4, 1, "a1")}, 3, true},
		{"a reply to the newest follow-up answers them all",
			[]Message{msg(1, SenderUser, "q1"), msg(2, SenderUser, "q2"), reply(3, 1, "a1"), reply(4, 2, "a2")}, 0, false},
		{"a human answering after the follow-ups answers them",
			[]Message{msg(1, SenderUser, "q1"), msg(2, SenderUser, "q2"), reply(3, 1, "a1"), msg(4, SenderAdmin, "h")}, 0, false},
		{"an interrupted reply to the newest question counts as given",
			[]Message{msg(1, SenderUser, "q1"), reply(2, 1, "a1")}, 0, false},
		{"a reply without reply_to answers what came before it",
			[]Message{msg(1, SenderUser, "q1"), msg(2, SenderAI, "a1"), msg(3, SenderUser, "q2")}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq, owed := pendingQuestion(tt.msgs)
			if seq != tt.wantSeq || owed != tt.owed {
				t.Errorf("pendingQuestion() = (%d, %v), want (%d, %v)", seq, owed, tt.wantSeq, tt.owed)
			}
		})
	}
}

func TestTitleOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Where is my order?", "Where is my order?"},
		{"**opening** hours of the _shop_", "opening hours of the shop"},
		{"# Refund\n\n- item one\n- item `two`", "Refund item one item two"},
		{"see [the docs](https://example.com/x) please", "see the docs please"},
		{"  spaced \t out\r\n text ", "spaced out text"},
		{"invoice\u202efdp.txt", "invoicefdp.txt"},
		{"", ""},
		{strings.Repeat("word ", 20), strings.TrimSpace(strings.Repeat("word ", 12)) + "…"},
		{strings.Repeat("x", 70), strings.Repeat("x", 60) + "…"},
	}
	for _, tt := range tests {
		if got := titleOf(tt.in); got != tt.want {
			t.Errorf("titleOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

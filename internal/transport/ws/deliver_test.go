package ws

import (
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// A reply already delivered as a stored message (say, by a replay after a
// resume) must not be shown again when its deltas, still in flight on the
// bus, arrive afterwards. The conn here has no socket: any attempt to
// deliver or catch up would panic.
func TestDeltasOfADeliveredReplyAreDropped(t *testing.T) {
	tests := []struct {
		name  string
		delta chat.Delta
	}{
		{"first delta", chat.Delta{StreamID: "s1", ReplyTo: 3, Index: 0, Text: "Hel"}},
		{"middle delta", chat.Delta{StreamID: "s1", ReplyTo: 3, Index: 4, Text: "lo"}},
		{"an older reply", chat.Delta{StreamID: "s0", ReplyTo: 1, Index: 0, Text: "old"}},
		{"done", chat.Delta{StreamID: "s1", ReplyTo: 3, Index: -1, Done: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &conn{}
			v := &view{}
			v.sawMessage(chat.Message{MessageMeta: chat.MessageMeta{SessionID: "sess", Seq: 3, Sender: chat.SenderUser}})
			v.sawMessage(chat.Message{MessageMeta: chat.MessageMeta{SessionID: "sess", Seq: 4, Sender: chat.SenderAI, ReplyTo: 3}})
			if err := c.deliverDelta(v, "sess", tt.delta); err != nil {
				t.Fatalf("deliverDelta: %v", err)
			}
			if v.stream.id != "" {
				t.Fatalf("a stale delta started stream %q", v.stream.id)
			}
		})
	}
}

func TestViewStale(t *testing.T) {
	v := &view{}
	if v.stale(1) {
		t.Fatal("nothing delivered yet, but reply to seq 1 is stale")
	}
	v.sawMessage(chat.Message{MessageMeta: chat.MessageMeta{Seq: 2, Sender: chat.SenderAI, ReplyTo: 1}})
	v.sawMessage(chat.Message{MessageMeta: chat.MessageMeta{Seq: 3, Sender: chat.SenderUser}})
	for replyTo, want := range map[int64]bool{0: false, 1: true, 3: false} {
		if got := v.stale(replyTo); got != want {
			t.Errorf("stale(%d) = %v, want %v", replyTo, got, want)
		}
	}
	if v.lastSeq != 3 {
		t.Errorf("lastSeq = %d, want 3", v.lastSeq)
	}
}

package ws

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Typing goes to the other people following a session, never back to the
// typist's own connections (docs/protocol.md, "typing").
func TestTypingIsNotEchoedToTheTypist(t *testing.T) {
	f := newFanout(t, 1, Options{PingInterval: time.Hour})
	c := f.only() // connected as user "bench"
	typing := func(author, name string) chat.Event {
		return chat.Event{Type: chat.EventTyping, SessionID: f.session,
			Typing: &chat.Typing{Sender: chat.SenderUser, Name: name, AuthorID: author}}
	}
	// Frames reach the client in order: had the first been relayed, it
	// would be read before the second.
	f.srv.hub.dispatch(f.topic, typing(c.actor.ID, "Me"))
	f.srv.hub.dispatch(f.topic, typing("ada", "Ada"))
	if err := f.clients[0].SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	_, data, err := f.clients[0].ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var got typingFrame
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	want := typingFrame{Type: typeTyping, SessionID: f.session, Sender: "user", Name: "Ada"}
	if got != want {
		t.Fatalf("first frame = %+v, want %+v (the typist's own typing came back)", got, want)
	}
}

package bus

import (
	"context"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// TestSnapshotRequestReply: an instance serving a session's snapshot
// answers another instance's request; with nobody serving, the request
// says so at once.
func TestSnapshotRequestReply(t *testing.T) {
	srv := startServer(t, EmbeddedOptions{Listen: "127.0.0.1:0"})
	a := newBus(t, connectTo(t, srv, "a"), Options{})
	b := newBus(t, connectTo(t, srv, "b"), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	if _, ok, err := b.RequestSnapshot(ctx, "s1"); err != nil || ok {
		t.Fatalf("request with nobody serving: ok=%v err=%v, want ok=false and no error", ok, err)
	}
	want := chat.StreamSnapshot{StreamID: "st", ReplyTo: 3, Text: "hello wor", Deltas: 2}
	stop, err := a.ServeSnapshot("s1", func() (chat.StreamSnapshot, bool) { return want, true })
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.RequestSnapshot(ctx, "s1")
	if err != nil || !ok || got != want {
		t.Fatalf("snapshot = %+v ok=%v err=%v, want %+v", got, ok, err, want)
	}
	stop()
	if _, ok, err := b.RequestSnapshot(ctx, "s1"); err != nil || ok {
		t.Fatalf("after stop: ok=%v err=%v, want no snapshot", ok, err)
	}
	if _, _, err := b.RequestSnapshot(ctx, "bad.id"); err == nil {
		t.Fatal("an invalid session id was accepted")
	}
}

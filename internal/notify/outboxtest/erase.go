package outboxtest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// testEraseSessions: EraseSessions deletes every row of the given
// sessions, pending, leased or sent, and the given rate limit scopes; rows
// of other sessions and rows about no session stay; a worker whose row was
// erased under its lease gets ErrNotLeased; erasing again deletes nothing.
func testEraseSessions(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	eraser, ok := o.(notify.SessionEraser)
	if !ok {
		t.Fatalf("%T does not implement notify.SessionEraser", o)
	}
	about := func(key, session string) notify.Notification {
		n := note(key)
		n.SessionID = session
		return n
	}
	const scope = "help_requested/erased"
	limit := &notify.RateLimit{Scope: scope, Window: time.Hour}
	enqueue(t, o, at(0), []notify.Notification{about("sent", "erased")}, nil)
	enqueue(t, o, at(0), []notify.Notification{about("leased", "erased")}, nil)
	enqueue(t, o, at(0), []notify.Notification{about("pending", "erased")}, limit)
	enqueue(t, o, at(0), []notify.Notification{about("other", "kept"), about("outage", "")}, nil)

	// Claim oldest due first: sent and leased (by key order of equal due
	// times), then settle one as sent.
	var leased notify.Notification
	for _, n := range claim(t, o, "worker-1", at(time.Second), 10) {
		switch n.ID {
		case "id-sent":
			if err := o.Complete(t.Context(), n.ID, "worker-1", at(2*time.Second)); err != nil {
				t.Fatalf("Complete: %v", err)
			}
		case "id-leased":
			leased = n
		}
	}
	if leased.ID == "" {
		t.Fatal("the row to erase under its lease was not claimed")
	}

	n, err := eraser.EraseSessions(t.Context(), []string{"erased"}, []string{scope})
	if err != nil {
		t.Fatalf("EraseSessions: %v", err)
	}
	if n != 3 {
		t.Errorf("EraseSessions deleted %d notifications, want 3", n)
	}
	all, err := o.List(t.Context(), 100)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	left := ids(all)
	slices.Sort(left)
	if want := []string{"id-other", "id-outage"}; !slices.Equal(left, want) {
		t.Errorf("rows left %v, want %v", left, want)
	}
	if err := o.Complete(t.Context(), leased.ID, "worker-1", at(3*time.Second)); !errors.Is(err, notify.ErrNotLeased) {
		t.Errorf("Complete of an erased row: %v, want ErrNotLeased", err)
	}
	if res := enqueue(t, o, at(4*time.Second), []notify.Notification{about("again", "erased")}, limit); res.Limited {
		t.Error("the erased scope still rate-limits a new batch")
	}
	n, err = eraser.EraseSessions(t.Context(), []string{"erased", "unknown"}, []string{scope})
	if err != nil || n != 1 {
		t.Errorf("EraseSessions again = %d, %v; want only the new row deleted", n, err)
	}
	if n, err := eraser.EraseSessions(t.Context(), nil, nil); err != nil || n != 0 {
		t.Errorf("EraseSessions of nothing = %d, %v; want 0, nil", n, err)
	}
}

package outboxtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// testCancel: Cancel withdraws the session's pending rows of the named
// events, leased or not, leaves everything else alone, and forgets the
// named rate limit scopes.
func testCancel(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	limit := &notify.RateLimit{Scope: "help/s1", Window: time.Hour}
	alert, reminder, leased := note("alert"), note("reminder"), note("leased")
	otherSession, otherEvent, done := note("other-session"), note("other-event"), note("done")
	for _, n := range []*notify.Notification{&alert, &reminder, &leased, &otherEvent, &done} {
		n.SessionID = "s1"
	}
	otherSession.SessionID = "s2"
	reminder.Event = notify.HelpReminder
	reminder.NextAttemptAt = at(10 * time.Minute)
	leased.Event = notify.HelpReminder
	otherEvent.Event = notify.LLMAllFailing
	enqueue(t, o, at(0), []notify.Notification{alert, reminder, leased, otherSession, otherEvent, done}, limit)
	// Lease "leased" and settle "done", leaving the rest pending.
	claimed := claim(t, o, "w", at(0), 10)
	for _, n := range claimed {
		if n.ID == done.ID {
			if err := o.Complete(t.Context(), n.ID, "w", at(0)); err != nil {
				t.Fatal(err)
			}
		} else if n.ID != leased.ID {
			if err := o.Retry(t.Context(), n.ID, "w", at(0), at(0), ""); err != nil {
				t.Fatal(err)
			}
		}
	}

	n, err := o.Cancel(t.Context(), "s1", []notify.EventType{notify.HelpRequested, notify.HelpReminder}, []string{limit.Scope}, at(time.Second))
	if err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if n != 3 {
		t.Errorf("Cancel = %d, want 3 (alert, reminder, leased)", n)
	}
	for id, want := range map[string]notify.Status{
		alert.ID: notify.Canceled, reminder.ID: notify.Canceled, leased.ID: notify.Canceled,
		otherSession.ID: notify.Pending, otherEvent.ID: notify.Pending, done.ID: notify.Sent,
	} {
		if got := byID(t, o, id); got.Status != want {
			t.Errorf("%s after Cancel: %s, want %s", id, got.Status, want)
		}
	}
	if err := o.Complete(t.Context(), leased.ID, "w", at(2*time.Second)); !errors.Is(err, notify.ErrNotLeased) {
		t.Errorf("Complete of a canceled row = %v, want ErrNotLeased", err)
	}
	if got := claim(t, o, "w2", at(time.Hour), 10); slices.Contains(ids(got), reminder.ID) {
		t.Error("a canceled row was claimed")
	}
	if res := enqueue(t, o, at(3*time.Second), []notify.Notification{note("after")}, limit); res.Stored != 1 {
		t.Errorf("Enqueue in the forgotten scope = %+v, want it stored", res)
	}
}

// testList: newest first, ties by id descending, at most limit.
func testList(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	enqueue(t, o, at(0), []notify.Notification{note("a"), note("b")}, nil)
	enqueue(t, o, at(time.Second), []notify.Notification{note("c")}, nil)
	got, err := o.List(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id-c", "id-b"}; !slices.Equal(ids(got), want) {
		t.Errorf("List(2) = %v, want %v", ids(got), want)
	}
	if got[0].Payload == nil {
		t.Error("List left the payload out")
	}
}

// testPrune: settled rows last updated before the cut are deleted, pending
// rows never are.
func testPrune(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	old, recent, pending := note("old"), note("recent"), note("pending")
	enqueue(t, o, at(0), []notify.Notification{old, recent, pending}, &notify.RateLimit{Scope: "s", Window: time.Minute})
	claim(t, o, "w", at(0), 3)
	if err := o.Complete(t.Context(), old.ID, "w", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := o.Fail(t.Context(), recent.ID, "w", at(3*time.Hour), "x"); err != nil {
		t.Fatal(err)
	}
	n, err := o.Prune(t.Context(), at(2*time.Hour))
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if n != 1 {
		t.Errorf("Prune = %d, want 1", n)
	}
	all, err := o.List(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all); !slices.Contains(got, recent.ID) || !slices.Contains(got, pending.ID) || slices.Contains(got, old.ID) {
		t.Errorf("after Prune: %v, want recent and pending kept, old deleted", got)
	}
}

// testContextCancelled: a cancelled context fails calls instead of
// running them.
func testContextCancelled(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := o.Enqueue(ctx, at(0), []notify.Notification{note("x")}, nil); err == nil {
		t.Error("Enqueue with a cancelled context succeeded")
	}
	if _, err := o.Claim(ctx, "w", at(0), time.Minute, 1); err == nil {
		t.Error("Claim with a cancelled context succeeded")
	}
	if _, err := o.List(ctx, 1); err == nil {
		t.Error("List with a cancelled context succeeded")
	}
}

package outboxtest

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// testEnqueueRoundTrip: a stored row comes back with every field as given,
// Pending, no attempts, due at the enqueue time unless scheduled later.
func testEnqueueRoundTrip(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	now := note("now")
	later := note("later")
	later.Event, later.Channel, later.Recipient, later.SessionID = notify.LLMAllFailing, notify.SMS, "+14155550100", ""
	later.NextAttemptAt = at(10 * time.Minute)
	res := enqueue(t, o, at(0), []notify.Notification{now, later}, nil)
	if res != (notify.EnqueueResult{Stored: 2}) {
		t.Fatalf("Enqueue = %+v, want 2 stored", res)
	}
	for _, want := range []notify.Notification{now, later} {
		got := byID(t, o, want.ID)
		due := want.NextAttemptAt
		if due.IsZero() {
			due = at(0)
		}
		switch {
		case got.Key != want.Key || got.Event != want.Event || got.Channel != want.Channel ||
			got.Recipient != want.Recipient || got.SessionID != want.SessionID || !bytes.Equal(got.Payload, want.Payload):
			t.Errorf("stored %+v, want the fields of %+v", got, want)
		case got.Status != notify.Pending || got.Attempts != 0 || got.LastError != "" || !got.SentAt.IsZero():
			t.Errorf("stored %s: status %s, attempts %d, error %q, sent %v; want a fresh pending row", got.ID, got.Status, got.Attempts, got.LastError, got.SentAt)
		case !got.NextAttemptAt.Equal(due) || !got.CreatedAt.Equal(at(0)) || !got.UpdatedAt.Equal(at(0)):
			t.Errorf("stored %s: due %v, created %v, updated %v; want due %v, created and updated %v", got.ID, got.NextAttemptAt, got.CreatedAt, got.UpdatedAt, due, at(0))
		}
	}
}

// testDedupe: a key is stored once; a batch with old and new keys stores
// only the new ones.
func testDedupe(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	first := note("k1")
	if res := enqueue(t, o, at(0), []notify.Notification{first}, nil); res.Stored != 1 {
		t.Fatalf("first Enqueue = %+v", res)
	}
	again := note("k1")
	again.ID = "another-id"
	if res := enqueue(t, o, at(time.Second), []notify.Notification{again}, nil); res != (notify.EnqueueResult{Duplicates: 1}) {
		t.Errorf("same key again = %+v, want 1 duplicate", res)
	}
	mixed := []notify.Notification{again, note("k2")}
	if res := enqueue(t, o, at(2*time.Second), mixed, nil); res != (notify.EnqueueResult{Stored: 1, Duplicates: 1}) {
		t.Errorf("old and new key = %+v, want 1 stored, 1 duplicate", res)
	}
	all, err := o.List(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("List = %v, want k1 and k2 once each", ids(all))
	}
}

// testConcurrentDedupe: handles racing to enqueue one key store it once.
func testConcurrentDedupe(t *testing.T, open func(t *testing.T) notify.Outbox) {
	const handles, perHandle = 4, 8
	os := make([]notify.Outbox, handles)
	for i := range os {
		os[i] = open(t)
	}
	var stored, dups atomic.Int64
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for h := range handles {
		for i := range perHandle {
			wg.Go(func() {
				<-ready
				n := note("shared")
				n.ID = fmt.Sprintf("racer-%d-%d", h, i)
				res, err := os[h].Enqueue(t.Context(), at(0), []notify.Notification{n}, nil)
				if err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
				stored.Add(int64(res.Stored))
				dups.Add(int64(res.Duplicates))
			})
		}
	}
	close(ready)
	wg.Wait()
	if stored.Load() != 1 || dups.Load() != handles*perHandle-1 {
		t.Errorf("stored %d, duplicates %d; want 1 and %d", stored.Load(), dups.Load(), handles*perHandle-1)
	}
}

// testRateLimit: one accepted batch per scope per window; duplicates and
// other scopes do not consume it; a zero window never limits.
func testRateLimit(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	limit := &notify.RateLimit{Scope: "help/session-1", Window: 5 * time.Minute}
	steps := []struct {
		name  string
		when  time.Duration
		key   string
		limit *notify.RateLimit
		want  notify.EnqueueResult
	}{
		{"first", 0, "a", limit, notify.EnqueueResult{Stored: 1}},
		{"duplicate inside the window", time.Minute, "a", limit, notify.EnqueueResult{Duplicates: 1}},
		{"new key inside the window", 4*time.Minute + 59*time.Second, "b", limit, notify.EnqueueResult{Limited: true}},
		{"other scope", time.Minute, "c", &notify.RateLimit{Scope: "help/session-2", Window: 5 * time.Minute}, notify.EnqueueResult{Stored: 1}},
		{"no limit", time.Minute, "d", nil, notify.EnqueueResult{Stored: 1}},
		{"zero window", time.Minute, "e", &notify.RateLimit{Scope: limit.Scope}, notify.EnqueueResult{Stored: 1}},
		{"window over", 5 * time.Minute, "b", limit, notify.EnqueueResult{Stored: 1}},
		{"new window from the accepted batch", 9 * time.Minute, "f", limit, notify.EnqueueResult{Limited: true}},
		{"second window over", 10 * time.Minute, "f", limit, notify.EnqueueResult{Stored: 1}},
	}
	for _, s := range steps {
		if got := enqueue(t, o, at(s.when), []notify.Notification{note(s.key)}, s.limit); got != s.want {
			t.Errorf("%s: Enqueue = %+v, want %+v", s.name, got, s.want)
		}
	}
	if _, err := o.List(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
}

// testConcurrentRateLimit: handles racing to enqueue different keys in one
// scope get exactly one batch accepted.
func testConcurrentRateLimit(t *testing.T, open func(t *testing.T) notify.Outbox) {
	const handles, perHandle = 4, 8
	os := make([]notify.Outbox, handles)
	for i := range os {
		os[i] = open(t)
	}
	limit := &notify.RateLimit{Scope: "storage_unreachable", Window: time.Hour}
	var stored, limited atomic.Int64
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for h := range handles {
		for i := range perHandle {
			wg.Go(func() {
				<-ready
				batch := notes(fmt.Sprintf("racer-%d-%d", h, i), 2)
				res, err := os[h].Enqueue(t.Context(), at(0), batch, limit)
				if err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
				stored.Add(int64(res.Stored))
				if res.Limited {
					limited.Add(1)
				}
			})
		}
	}
	close(ready)
	wg.Wait()
	if stored.Load() != 2 || limited.Load() != handles*perHandle-1 {
		t.Errorf("stored %d rows, limited %d batches; want one batch of 2 stored and %d limited", stored.Load(), limited.Load(), handles*perHandle-1)
	}
}

package outboxtest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// testClaim: Claim returns due pending rows, oldest due first, at most max,
// counting an attempt on each, and never rows leased to someone else.
func testClaim(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	batch := notes("n", 4)
	batch[0].NextAttemptAt = at(3 * time.Second)
	batch[1].NextAttemptAt = at(time.Second)
	batch[2].NextAttemptAt = at(2 * time.Second)
	batch[3].NextAttemptAt = at(time.Hour) // not due
	enqueue(t, o, at(0), batch, nil)

	if got := claim(t, o, "w1", at(500*time.Millisecond), 10); len(got) != 0 {
		t.Fatalf("Claim before anything is due = %v", ids(got))
	}
	got := claim(t, o, "w1", at(3*time.Second), 2)
	if want := []string{batch[1].ID, batch[2].ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("Claim(max 2) = %v, want the two oldest due %v", ids(got), want)
	}
	for _, n := range got {
		if n.Attempts != 1 || n.Status != notify.Pending {
			t.Errorf("claimed %s: attempts %d, status %s; want 1, pending", n.ID, n.Attempts, n.Status)
		}
	}
	if got := claim(t, o, "w2", at(3*time.Second), 10); !slices.Equal(ids(got), []string{batch[0].ID}) {
		t.Errorf("second claimer got %v, want only the unleased due row %s", ids(got), batch[0].ID)
	}
	if got := claim(t, o, "w3", at(30*time.Second), 10); len(got) != 0 {
		t.Errorf("Claim while every due row is leased = %v", ids(got))
	}
	if _, err := o.Claim(t.Context(), "", at(0), time.Minute, 1); err == nil {
		t.Error("Claim with an empty owner succeeded")
	}
}

// testLeaseExpiry: a lease that runs out frees the row for another owner,
// and the first owner can then no longer settle it.
func testLeaseExpiry(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	n := note("n")
	enqueue(t, o, at(0), []notify.Notification{n}, nil)
	if got := claim(t, o, "crashed", at(0), 1); len(got) != 1 {
		t.Fatalf("first Claim = %v", ids(got))
	}
	if got := claim(t, o, "other", at(time.Minute-time.Millisecond), 1); len(got) != 0 {
		t.Fatalf("Claim before the lease ends = %v", ids(got))
	}
	got := claim(t, o, "other", at(time.Minute), 1)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("Claim after the lease ended = %+v, want the row with 2 attempts", got)
	}
	if err := o.Complete(t.Context(), n.ID, "crashed", at(time.Minute)); !errors.Is(err, notify.ErrNotLeased) {
		t.Errorf("Complete by the expired owner = %v, want ErrNotLeased", err)
	}
	if err := o.Complete(t.Context(), n.ID, "other", at(time.Minute)); err != nil {
		t.Errorf("Complete by the current owner: %v", err)
	}
}

// testConcurrentClaims: workers on several handles claiming together get
// every row exactly once.
func testConcurrentClaims(t *testing.T, open func(t *testing.T) notify.Outbox) {
	const handles, workersPerHandle, rows = 3, 3, 60
	os := make([]notify.Outbox, handles)
	for i := range os {
		os[i] = open(t)
	}
	enqueue(t, os[0], at(0), notes("row", rows), nil)

	var mu sync.Mutex
	claimedBy := map[string]string{}
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for h := range handles {
		for w := range workersPerHandle {
			owner := fmt.Sprintf("worker-%d-%d", h, w)
			wg.Go(func() {
				<-ready
				for {
					got, err := os[h].Claim(t.Context(), owner, at(time.Second), time.Hour, 3)
					if err != nil {
						t.Errorf("%s: Claim: %v", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, n := range got {
						if prev, dup := claimedBy[n.ID]; dup {
							t.Errorf("%s claimed by %s and %s", n.ID, prev, owner)
						}
						claimedBy[n.ID] = owner
					}
					mu.Unlock()
					for _, n := range got {
						if err := os[h].Complete(t.Context(), n.ID, owner, at(time.Second)); err != nil {
							t.Errorf("%s: Complete %s: %v", owner, n.ID, err)
						}
					}
				}
			})
		}
	}
	close(ready)
	wg.Wait()
	if len(claimedBy) != rows {
		t.Errorf("%d rows claimed, want all %d", len(claimedBy), rows)
	}
}

// testOutcomes: Complete, Retry and Fail record the outcome for the owner
// and nobody else, and release the lease.
func testOutcomes(t *testing.T, open func(t *testing.T) notify.Outbox) {
	o := open(t)
	sent, retried, failed := note("sent"), note("retried"), note("failed")
	enqueue(t, o, at(0), []notify.Notification{sent, retried, failed}, nil)
	if got := claim(t, o, "w", at(0), 10); len(got) != 3 {
		t.Fatalf("Claim = %v", ids(got))
	}
	for _, id := range []string{sent.ID, retried.ID, failed.ID} {
		if err := o.Complete(t.Context(), id, "intruder", at(time.Second)); !errors.Is(err, notify.ErrNotLeased) {
			t.Errorf("Complete(%s) by a non-owner = %v, want ErrNotLeased", id, err)
		}
	}
	if err := o.Complete(t.Context(), sent.ID, "w", at(time.Second)); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := o.Retry(t.Context(), retried.ID, "w", at(time.Second), at(time.Minute), "421 try later"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if err := o.Fail(t.Context(), failed.ID, "w", at(time.Second), "550 no such user"); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	if err := o.Complete(t.Context(), sent.ID, "w", at(2*time.Second)); !errors.Is(err, notify.ErrNotLeased) {
		t.Errorf("second Complete = %v, want ErrNotLeased (no longer pending)", err)
	}
	if err := o.Retry(t.Context(), failed.ID, "w", at(2*time.Second), at(time.Minute), "again"); !errors.Is(err, notify.ErrNotLeased) {
		t.Errorf("Retry of a failed row = %v, want ErrNotLeased", err)
	}

	s := byID(t, o, sent.ID)
	if s.Status != notify.Sent || !s.SentAt.Equal(at(time.Second)) || !s.UpdatedAt.Equal(at(time.Second)) {
		t.Errorf("completed row: %+v", s)
	}
	r := byID(t, o, retried.ID)
	if r.Status != notify.Pending || !r.NextAttemptAt.Equal(at(time.Minute)) || r.LastError != "421 try later" || r.Attempts != 1 {
		t.Errorf("retried row: %+v", r)
	}
	f := byID(t, o, failed.ID)
	if f.Status != notify.Failed || f.LastError != "550 no such user" || !f.SentAt.IsZero() {
		t.Errorf("failed row: %+v", f)
	}

	// The retried row is claimable again when due, by anyone: Retry
	// released the lease.
	if got := claim(t, o, "w2", at(time.Minute-time.Millisecond), 10); len(got) != 0 {
		t.Errorf("Claim before the retry is due = %v", ids(got))
	}
	got := claim(t, o, "w2", at(time.Minute), 10)
	if len(got) != 1 || got[0].ID != retried.ID || got[0].Attempts != 2 || got[0].LastError != "421 try later" {
		t.Errorf("Claim when the retry is due = %+v", got)
	}
}

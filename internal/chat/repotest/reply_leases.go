package repotest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testReplyLeases: a debt is claimed by one owner at a time, renewed by its
// holder, free again when the lease expires or is released, and gone once
// answered; a newer question keeps it owed.
func testReplyLeases(t *testing.T, h harness) {
	repos := h.handles(t, 2)
	r := repos[0]
	ctx := t.Context()
	id := startOn(t, r, "user-lease", at(0)).Session.ID
	t0 := at(time.Minute)
	ttl := 15 * time.Second

	if ok, err := r.ClaimReply(ctx, id, "a", t0, t0.Add(ttl)); err != nil || ok {
		t.Fatalf("claim with nothing owed = %v, %v; want false", ok, err)
	}
	if err := r.OweReply(ctx, id, 1, t0); err != nil {
		t.Fatal(err)
	}
	claims := []struct {
		name        string
		repo        chat.Repository
		owner       string
		now         time.Time
		want        bool
		description string
	}{
		{"first claim", r, "a", t0, true, "a free debt is claimed"},
		{"rival while held", repos[1], "b", t0.Add(time.Second), false, "b may not take a live lease"},
		{"renewal", r, "a", t0.Add(10 * time.Second), true, "the holder renews (until t0+25s)"},
		{"rival after first expiry", repos[1], "b", t0.Add(20 * time.Second), false, "the renewal moved the expiry"},
		{"rival after expiry", repos[1], "b", t0.Add(25 * time.Second), true, "an expired lease is free"},
		{"old holder", r, "a", t0.Add(26 * time.Second), false, "a lost it"},
	}
	for _, c := range claims {
		ok, err := c.repo.ClaimReply(ctx, id, c.owner, c.now, c.now.Add(ttl))
		if err != nil || ok != c.want {
			t.Fatalf("%s: ClaimReply = %v, %v; want %v (%s)", c.name, ok, err, c.want, c.description)
		}
	}

	// b answered seq 1 but seq 2 came in: still owed, and released for anyone.
	if err := r.OweReply(ctx, id, 2, t0.Add(27*time.Second)); err != nil {
		t.Fatal(err)
	}
	if owed, err := repos[1].SettleReply(ctx, id, "b", 1); err != nil || !owed {
		t.Fatalf("settle 1 of 2 = %v, %v; want still owed", owed, err)
	}
	if ok, err := r.ClaimReply(ctx, id, "a", t0.Add(28*time.Second), t0.Add(28*time.Second+ttl)); err != nil || !ok {
		t.Fatalf("claim after release = %v, %v; want true", ok, err)
	}
	// A settle by someone who does not hold the lease leaves it alone.
	if owed, err := repos[1].SettleReply(ctx, id, "b", 0); err != nil || !owed {
		t.Fatalf("settle by a non-holder = %v, %v; want still owed", owed, err)
	}
	if ok, _ := repos[1].ClaimReply(ctx, id, "b", t0.Add(29*time.Second), t0.Add(time.Hour)); ok {
		t.Fatal("b took a's live lease after its own settle")
	}
	if owed, err := r.SettleReply(ctx, id, "a", 2); err != nil || owed {
		t.Fatalf("settle 2 of 2 = %v, %v; want nothing owed", owed, err)
	}
	if ok, err := r.ClaimReply(ctx, id, "a", t0.Add(30*time.Second), t0.Add(time.Hour)); err != nil || ok {
		t.Fatalf("claim after everything was answered = %v, %v; want false", ok, err)
	}
	checkIs(t, "OweReply of an unknown session", r.OweReply(ctx, "no-such-session", 1, t0), chat.ErrNotFound)
	if owed, err := r.SettleReply(ctx, "no-such-session", "a", 1); err != nil || owed {
		t.Fatalf("settle of an unknown session = %v, %v", owed, err)
	}
}

// testReplyLeaseRace: of many claims at once on one debt, exactly one wins.
func testReplyLeaseRace(t *testing.T, h harness) {
	repos := h.handles(t, 4)
	ctx := t.Context()
	id := startOn(t, repos[0], "user-race", at(0)).Session.ID
	if err := repos[0].OweReply(ctx, id, 1, at(0)); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		wins []string
		wg   sync.WaitGroup
	)
	for i := range 16 {
		wg.Go(func() {
			owner := string(rune('a' + i))
			ok, err := repos[i%len(repos)].ClaimReply(ctx, id, owner, at(time.Second), at(time.Minute))
			if err != nil {
				t.Errorf("claim %s: %v", owner, err)
			}
			if ok {
				mu.Lock()
				wins = append(wins, owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("winners %v, want exactly one", wins)
	}
}

// testOrphanedReplies: recovery finds debts owed long enough whose lease
// is missing, released or expired, oldest first, never a live one.
func testOrphanedReplies(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	t0 := at(time.Hour)
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = startOn(t, r, "user-orphans", at(time.Duration(i)*time.Second)).Session.ID
		if err := r.OweReply(ctx, ids[i], 1, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// 0: never leased; 1: lease expired; 2: lease live; 3: owed too recently.
	if ok, _ := r.ClaimReply(ctx, ids[1], "dead", t0, t0.Add(5*time.Second)); !ok {
		t.Fatal("claim 1 failed")
	}
	if ok, _ := r.ClaimReply(ctx, ids[2], "alive", t0, t0.Add(time.Hour)); !ok {
		t.Fatal("claim 2 failed")
	}
	now := t0.Add(time.Minute)
	got, err := r.OrphanedReplies(ctx, t0.Add(2*time.Second), now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := ids[:2]; !slices.Equal(got, want) {
		t.Fatalf("orphans = %v, want %v (oldest first, no live lease, none too recent)", got, want)
	}
	if got, _ := r.OrphanedReplies(ctx, t0.Add(2*time.Second), now, 1); !slices.Equal(got, ids[:1]) {
		t.Fatalf("orphans limited to 1 = %v, want %v", got, ids[:1])
	}
}

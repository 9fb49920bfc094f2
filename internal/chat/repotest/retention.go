package repotest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testIdleExpiry: EndIdleSessions ends exactly the active sessions whose
// last message or state change is strictly before the cutoff, records the
// reason idle, returns them as stored, and refuses writes to them after.
func testIdleExpiry(t *testing.T, h harness) {
	r := h.repo(t)
	cutoff, endAt := at(10*time.Minute), at(11*time.Minute)

	idle := startOn(t, r, "user-idle", at(0)).Session
	justBefore := startOn(t, r, "user-idle", cutoff.Add(-time.Millisecond)).Session
	atCutoff := startOn(t, r, "user-idle", at(0)).Session
	mustAppend(t, r, userMessage(atCutoff.ID, "user-idle", cutoff)) // last activity exactly at the cutoff
	busy := startOn(t, r, "user-idle", at(0)).Session
	mustAppend(t, r, aiMessage(busy.ID, 1, cutoff.Add(time.Second)))
	endedByUser := startOn(t, r, "user-idle", at(0)).Session
	if _, _, err := r.EndSession(t.Context(), endedByUser.ID, chat.EndByUser, at(time.Minute)); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	untouched := []chat.Session{mustGet(t, r, atCutoff.ID), mustGet(t, r, busy.ID), mustGet(t, r, endedByUser.ID)}

	ended, err := r.EndIdleSessions(t.Context(), cutoff, endAt, 10)
	if err != nil {
		t.Fatalf("EndIdleSessions: %v", err)
	}
	got := idsOf(ended)
	slices.Sort(got)
	want := []string{idle.ID, justBefore.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("EndIdleSessions ended %v, want %v (idle, and active until 1ms before the cutoff)", got, want)
	}
	for _, s := range ended {
		stored := mustGet(t, r, s.ID)
		checkSession(t, "returned session vs GetSession", s, stored)
		if stored.Status != chat.StatusEnded || stored.EndReason != chat.EndByIdle || !stored.EndedAt.Equal(endAt) {
			t.Errorf("session %s: status %q, reason %q, ended at %s; want ended, idle, %s",
				s.ID, stored.Status, stored.EndReason, stored.EndedAt, endAt)
		}
	}
	for _, s := range untouched {
		checkSession(t, "session that is not idle", mustGet(t, r, s.ID), s)
	}
	_, err = r.AppendMessage(t.Context(), userMessage(idle.ID, "user-idle", at(12*time.Minute)))
	checkIs(t, "AppendMessage to a session ended as idle", err, chat.ErrSessionEnded)

	again, err := r.EndIdleSessions(t.Context(), cutoff, endAt, 10)
	if err != nil {
		t.Fatalf("EndIdleSessions again: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("EndIdleSessions again ended %v, want nothing", idsOf(again))
	}
}

// testIdleExpiryLimit: one call ends at most limit sessions; the rest are
// left for the next call.
func testIdleExpiryLimit(t *testing.T, h harness) {
	r := h.repo(t)
	for range 5 {
		startOn(t, r, "user-limit", at(0))
	}
	seen := map[string]bool{}
	for i, want := range []int{2, 2, 1, 0} {
		ended, err := r.EndIdleSessions(t.Context(), at(time.Hour), at(time.Hour), 2)
		if err != nil {
			t.Fatalf("call %d: EndIdleSessions: %v", i, err)
		}
		if len(ended) != want {
			t.Errorf("call %d ended %d sessions, want %d", i, len(ended), want)
		}
		for _, s := range ended {
			if seen[s.ID] {
				t.Errorf("call %d ended session %s again", i, s.ID)
			}
			seen[s.ID] = true
		}
	}
}

// testIdleExpiryRace: sweepers on several handles (standing in for
// instances) racing over the same idle sessions end each exactly once.
func testIdleExpiryRace(t *testing.T, h harness) {
	const (
		handles   = 2
		perHandle = 2
		sessions  = 12
	)
	rs := h.handles(t, handles)
	want := make([]string, 0, sessions)
	for range sessions {
		want = append(want, startOn(t, rs[0], newID("user"), at(0)).Session.ID)
	}
	results := make([][]chat.Session, handles*perHandle)
	race(t, len(results), func(i int) error {
		var err error
		results[i], err = rs[i%handles].EndIdleSessions(t.Context(), at(time.Hour), at(time.Hour), sessions)
		return err
	})
	if t.Failed() {
		return
	}
	owner := map[string]int{}
	for i, ended := range results {
		for _, s := range ended {
			if prev, dup := owner[s.ID]; dup {
				t.Errorf("session %s ended by racers %d and %d, want exactly one", s.ID, prev, i)
			}
			owner[s.ID] = i
		}
	}
	for _, id := range want {
		if _, ok := owner[id]; !ok {
			t.Errorf("session %s was ended by no racer", id)
		}
		if s := mustGet(t, rs[1], id); s.Status != chat.StatusEnded || s.EndReason != chat.EndByIdle {
			t.Errorf("session %s: status %q, reason %q; want ended, idle", id, s.Status, s.EndReason)
		}
	}
}

// testRetention: EndedBefore lists ended sessions whose EndedAt is
// strictly before the cutoff, longest ended first, never an active one.
func testRetention(t *testing.T, h harness) {
	r := h.repo(t)
	cutoff := at(24 * time.Hour)
	endedAt := func(end time.Time) string {
		s := startOn(t, r, "user-keep", at(0)).Session
		if _, _, err := r.EndSession(t.Context(), s.ID, chat.EndByUser, end); err != nil {
			t.Fatalf("EndSession: %v", err)
		}
		return s.ID
	}
	longAgo := endedAt(at(time.Hour))
	justBefore := endedAt(cutoff.Add(-time.Millisecond))
	exactly := endedAt(cutoff)
	justAfter := endedAt(cutoff.Add(time.Millisecond))
	active := startOn(t, r, "user-keep", at(-48*time.Hour)).Session.ID // older than all, but active

	ids, err := r.EndedBefore(t.Context(), cutoff, 10)
	if err != nil {
		t.Fatalf("EndedBefore: %v", err)
	}
	if want := []string{longAgo, justBefore}; !slices.Equal(ids, want) {
		t.Errorf("EndedBefore(cutoff) = %v, want %v (ended before the cutoff, oldest first); at the cutoff %s, after it %s, active %s",
			ids, want, exactly, justAfter, active)
	}
	first, err := r.EndedBefore(t.Context(), cutoff, 1)
	if err != nil {
		t.Fatalf("EndedBefore limit 1: %v", err)
	}
	if !slices.Equal(first, []string{longAgo}) {
		t.Errorf("EndedBefore limit 1 = %v, want [%s]", first, longAgo)
	}
	all, err := r.EndedBefore(t.Context(), at(1000*time.Hour), 10)
	if err != nil {
		t.Fatalf("EndedBefore far cutoff: %v", err)
	}
	if slices.Contains(all, active) || len(all) != 4 {
		t.Errorf("EndedBefore(far future) = %v, want the 4 ended sessions and never active %s", all, active)
	}
}

// expectGone fails the test unless session id and its messages are gone
// from every read the Repository offers.
func expectGone(t *testing.T, r chat.Repository, id string) {
	t.Helper()
	_, err := r.GetSession(t.Context(), id)
	if !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("GetSession(%s) after deletion: %v, want ErrNotFound", id, err)
	}
	if msgs := allMessages(t, r, id); len(msgs) != 0 {
		t.Errorf("ListMessages(%s) after deletion: %d messages, want none", id, len(msgs))
	}
	_, err = r.AppendMessage(t.Context(), userMessage(id, "anyone", at(time.Hour)))
	if !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("AppendMessage to deleted session %s: %v, want ErrNotFound", id, err)
	}
}

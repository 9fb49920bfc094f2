package repotest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testChangeOwner: a takeover hands the session to a human at the next
// epoch, marks it admin-assisted and answers a waiting help request; a
// release hands it back; a stale epoch conflicts; ended and unknown
// sessions are refused.
func testChangeOwner(t *testing.T, h harness) {
	r := h.repo(t)
	res := startOn(t, r, "u1", at(0))
	id := res.Session.ID
	if _, _, err := r.RequestHelp(t.Context(), id, at(time.Second)); err != nil {
		t.Fatalf("RequestHelp: %v", err)
	}

	took, err := r.ChangeOwner(t.Context(), id, 0, chat.OwnerHuman, "admin-1", "Ada", at(2*time.Second))
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	want := res.Session
	want.Owner, want.AdminID, want.AdminName, want.Epoch = chat.OwnerHuman, "admin-1", "Ada", 1
	want.AdminAssisted, want.UpdatedAt = true, at(2*time.Second)
	checkSession(t, "after takeover", took, want)
	checkSession(t, "stored after takeover", mustGet(t, r, id), want)

	_, err = r.ChangeOwner(t.Context(), id, 0, chat.OwnerHuman, "admin-2", "Bob", at(3*time.Second))
	checkIs(t, "takeover at a stale epoch", err, chat.ErrConflict)

	released, err := r.ChangeOwner(t.Context(), id, 1, chat.OwnerAI, "ignored", "ignored", at(4*time.Second))
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	want.Owner, want.AdminID, want.AdminName, want.Epoch, want.UpdatedAt = chat.OwnerAI, "", "", 2, at(4*time.Second)
	checkSession(t, "after release (still admin-assisted)", released, want)

	_, err = r.ChangeOwner(t.Context(), "no-such-session", 0, chat.OwnerHuman, "a", "A", at(0))
	checkIs(t, "takeover of an unknown session", err, chat.ErrNotFound)
	if _, _, err := r.EndSession(t.Context(), id, chat.EndByUser, at(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = r.ChangeOwner(t.Context(), id, 2, chat.OwnerHuman, "a", "A", at(6*time.Second))
	checkIs(t, "takeover of an ended session", err, chat.ErrSessionEnded)
}

// testConcurrentTakeovers: of many admins racing for one epoch on several
// handles, exactly one wins and the rest conflict.
func testConcurrentTakeovers(t *testing.T, h harness) {
	handles := h.handles(t, 3)
	id := startOn(t, handles[0], "u1", at(0)).Session.ID
	const racers = 9
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		winners  []string
		otherErr []error
	)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			admin := fmt.Sprintf("admin-%d", i)
			_, err := handles[i%len(handles)].ChangeOwner(t.Context(), id, 0, chat.OwnerHuman, admin, admin, at(time.Second))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, admin)
			case !errors.Is(err, chat.ErrConflict):
				otherErr = append(otherErr, err)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 || len(otherErr) != 0 {
		t.Fatalf("winners %v, unexpected errors %v; want exactly one winner and conflicts", winners, otherErr)
	}
	got := mustGet(t, handles[0], id)
	if got.Epoch != 1 || got.AdminID != winners[0] {
		t.Fatalf("stored epoch %d owner %q, want epoch 1 owned by the winner %q", got.Epoch, got.AdminID, winners[0])
	}
}

// testRequestHelp: the first request is recorded, a repeat changes nothing,
// and ended sessions refuse.
func testRequestHelp(t *testing.T, h harness) {
	r := h.repo(t)
	id := startOn(t, r, "u1", at(0)).Session.ID
	s, changed, err := r.RequestHelp(t.Context(), id, at(time.Second))
	if err != nil || !changed || !s.HelpRequestedAt.Equal(at(time.Second)) {
		t.Fatalf("first RequestHelp = %v, changed %v, %v; want the request recorded", s.HelpRequestedAt, changed, err)
	}
	s, changed, err = r.RequestHelp(t.Context(), id, at(2*time.Second))
	if err != nil || changed || !s.HelpRequestedAt.Equal(at(time.Second)) {
		t.Fatalf("repeated RequestHelp = %v, changed %v, %v; want the first request kept", s.HelpRequestedAt, changed, err)
	}
	_, _, err = r.RequestHelp(t.Context(), "no-such-session", at(0))
	checkIs(t, "RequestHelp on an unknown session", err, chat.ErrNotFound)
	if _, _, err := r.EndSession(t.Context(), id, chat.EndByUser, at(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _, err = r.RequestHelp(t.Context(), id, at(4*time.Second))
	checkIs(t, "RequestHelp on an ended session", err, chat.ErrSessionEnded)
}

// testAdminListFilters: every filter of SessionQuery selects exactly the
// matching sessions across users, newest first.
func testAdminListFilters(t *testing.T, h harness) {
	r := h.repo(t)
	plain := startOn(t, r, "u1", at(0)).Session.ID
	helped := startOn(t, r, "u2", at(time.Second)).Session.ID
	owned := startOn(t, r, "u3", at(2*time.Second)).Session.ID
	ended := startOn(t, r, "u1", at(3*time.Second)).Session.ID
	if _, _, err := r.RequestHelp(t.Context(), helped, at(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ChangeOwner(t.Context(), owned, 0, chat.OwnerHuman, "admin-1", "Ada", at(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.EndSession(t.Context(), ended, chat.EndByUser, at(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		name string
		q    chat.SessionQuery
		want []string
	}{
		{"every user's", chat.SessionQuery{}, []string{ended, owned, helped, plain}},
		{"one user's", chat.SessionQuery{UserID: "u1"}, []string{ended, plain}},
		{"active", chat.SessionQuery{Status: chat.StatusActive}, []string{owned, helped, plain}},
		{"ended", chat.SessionQuery{Status: chat.StatusEnded}, []string{ended}},
		{"owned by a human", chat.SessionQuery{Owner: chat.OwnerHuman}, []string{owned}},
		{"owned by the ai", chat.SessionQuery{Owner: chat.OwnerAI, Status: chat.StatusActive}, []string{helped, plain}},
		{"owned by one admin", chat.SessionQuery{AdminID: "admin-1"}, []string{owned}},
		{"help waiting", chat.SessionQuery{HelpRequested: &yes}, []string{helped}},
		{"no help waiting", chat.SessionQuery{HelpRequested: &no, Status: chat.StatusActive}, []string{owned, plain}},
		{"created in a range", chat.SessionQuery{CreatedFrom: at(time.Second), CreatedTo: at(3 * time.Second)}, []string{owned, helped}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := r.ListSessions(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if got := idsOf(page.Sessions); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

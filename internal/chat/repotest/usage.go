package repotest

import (
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testUsage: usage adds up per session and per user and UTC day, from any
// number of handles at once, and an unknown session is ErrNotFound.
func testUsage(t *testing.T, h harness) {
	repos := h.handles(t, 2)
	r := repos[0]
	s1 := startOn(t, r, "user-usage", at(0)).Session.ID
	s2 := startOn(t, r, "user-usage", at(time.Minute)).Session.ID
	other := startOn(t, r, "user-other", at(time.Minute)).Session.ID

	if u, err := r.SessionUsage(t.Context(), s1); err != nil || u != (chat.Usage{}) {
		t.Fatalf("SessionUsage before any reply = %+v, %v; want zero", u, err)
	}
	// Ten replies of two sessions, recorded concurrently through two
	// handles: no addition may be lost.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			id := []string{s1, s2}[i%2]
			if err := repos[i%2].RecordUsage(t.Context(), id, chat.Usage{InputTokens: 10, OutputTokens: 3}, at(time.Hour)); err != nil {
				t.Errorf("RecordUsage %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if err := r.RecordUsage(t.Context(), other, chat.Usage{InputTokens: 1, OutputTokens: 1}, at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The next UTC day starts a new daily total.
	tomorrow := time.Date(base().Year(), base().Month(), base().Day()+1, 0, 0, 0, 0, time.UTC)
	if err := r.RecordUsage(t.Context(), s1, chat.Usage{InputTokens: 7}, tomorrow); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		got  func() (chat.Usage, error)
		want chat.Usage
	}{
		{"session 1", func() (chat.Usage, error) { return repos[1].SessionUsage(t.Context(), s1) }, chat.Usage{InputTokens: 57, OutputTokens: 15}},
		{"session 2", func() (chat.Usage, error) { return r.SessionUsage(t.Context(), s2) }, chat.Usage{InputTokens: 50, OutputTokens: 15}},
		{"user today", func() (chat.Usage, error) { return r.UserUsage(t.Context(), "user-usage", at(2*time.Hour)) }, chat.Usage{InputTokens: 100, OutputTokens: 30}},
		{"user tomorrow", func() (chat.Usage, error) { return r.UserUsage(t.Context(), "user-usage", tomorrow.Add(time.Hour)) }, chat.Usage{InputTokens: 7}},
		{"other user", func() (chat.Usage, error) { return r.UserUsage(t.Context(), "user-other", at(0)) }, chat.Usage{InputTokens: 1, OutputTokens: 1}},
		{"nobody", func() (chat.Usage, error) { return r.UserUsage(t.Context(), "user-nobody", at(0)) }, chat.Usage{}},
	} {
		got, err := tc.got()
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	checkIs(t, "RecordUsage of an unknown session", r.RecordUsage(t.Context(), "no-such-session", chat.Usage{InputTokens: 1}, at(0)), chat.ErrNotFound)
}

// testConversationIDs: provider conversation ids merge per provider and
// survive other handles; an unknown session is ErrNotFound.
func testConversationIDs(t *testing.T, h harness) {
	repos := h.handles(t, 2)
	r := repos[0]
	id := startOn(t, r, "user-conv", at(0)).Session.ID
	ids, err := r.ConversationIDs(t.Context(), id)
	if err != nil || ids == nil || len(ids) != 0 {
		t.Fatalf("ConversationIDs of a new session = %v, %v; want an empty map", ids, err)
	}
	if err := r.SetConversationIDs(t.Context(), id, map[string]string{"dify-a": "conv-1"}); err != nil {
		t.Fatal(err)
	}
	// Usage recorded in between leaves the ids alone, and the other way round.
	if err := r.RecordUsage(t.Context(), id, chat.Usage{InputTokens: 2}, at(0)); err != nil {
		t.Fatal(err)
	}
	if err := repos[1].SetConversationIDs(t.Context(), id, map[string]string{"dify-b": "conv-2", "dify-a": "conv-3"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dify-a": "conv-3", "dify-b": "conv-2"}
	if got, err := r.ConversationIDs(t.Context(), id); err != nil || !maps.Equal(got, want) {
		t.Fatalf("ConversationIDs = %v, %v; want %v", got, err, want)
	}
	if u, err := r.SessionUsage(t.Context(), id); err != nil || u.InputTokens != 2 {
		t.Fatalf("SessionUsage after setting ids = %+v, %v; want 2 input tokens", u, err)
	}
	_, err = r.ConversationIDs(t.Context(), "no-such-session")
	checkIs(t, "ConversationIDs of an unknown session", err, chat.ErrNotFound)
	checkIs(t, "SetConversationIDs of an unknown session",
		r.SetConversationIDs(t.Context(), "no-such-session", map[string]string{"dify-a": "x"}), chat.ErrNotFound)
}

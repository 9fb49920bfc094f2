package repotest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testAudit: entries come back newest first, filtered, and paginated
// without loss or repetition.
func testAudit(t *testing.T, h harness) {
	r := h.repo(t)
	var want []string
	for i := range 7 {
		e := chat.AuditEntry{
			ID: newID("aud"), At: at(time.Duration(i/2) * time.Second), // pairs share a time
			ActorID: fmt.Sprintf("admin-%d", i%2), ActorName: "Ada", Action: chat.AuditTakeover,
			SessionID: fmt.Sprintf("s-%d", i%3), Detail: "d",
		}
		if i == 6 {
			e.Action = chat.AuditRelease
		}
		if err := r.AppendAudit(t.Context(), e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		want = append(want, e.ID)
	}
	var got []string
	cursor := ""
	for {
		page, err := r.ListAudit(t.Context(), chat.AuditQuery{Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		for _, e := range page.Entries {
			got = append(got, e.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(got) != len(want) {
		t.Fatalf("paged through %d entries, want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("entry %s served twice", id)
		}
		seen[id] = true
	}
	filtered, err := r.ListAudit(t.Context(), chat.AuditQuery{ActorID: "admin-0", Action: chat.AuditTakeover})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range filtered.Entries {
		if e.ActorID != "admin-0" || e.Action != chat.AuditTakeover {
			t.Fatalf("filter returned %+v", e)
		}
	}
	if len(filtered.Entries) != 3 {
		t.Fatalf("admin-0's takeovers: %d, want 3", len(filtered.Entries))
	}
	newest, err := r.ListAudit(t.Context(), chat.AuditQuery{Limit: 1})
	if err != nil || len(newest.Entries) != 1 || newest.Entries[0].Action != chat.AuditRelease || !newest.Entries[0].At.Equal(at(3*time.Second)) {
		t.Fatalf("newest entry %+v, %v; want the release at 3s with every field kept", newest.Entries, err)
	}
}

// testCountsAndUsage: counts follow the listing filters; usage sums the
// tokens of messages since a time.
func testCountsAndUsage(t *testing.T, h harness) {
	r := h.repo(t)
	first := startOn(t, r, "u1", at(0))
	startOn(t, r, "u2", at(time.Hour))
	if _, _, err := r.EndSession(t.Context(), first.Session.ID, chat.EndByUser, at(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[*chat.SessionQuery]int{
		{}:                             2,
		{Status: chat.StatusActive}:    1,
		{CreatedFrom: at(time.Minute)}: 1,
		{UserID: "nobody"}:             0,
	} {
		if n, err := r.CountSessions(t.Context(), *q); err != nil || n != want {
			t.Errorf("CountSessions(%+v) = %d, %v; want %d", *q, n, err, want)
		}
	}
	second := startOn(t, r, "u3", at(3*time.Hour))
	reply := aiMessage(second.Session.ID, 1, at(3*time.Hour+time.Second))
	reply.TokensIn, reply.TokensOut = 120, 30
	mustAppend(t, r, reply)
	u, err := r.UsageSince(t.Context(), at(3*time.Hour))
	if err != nil || u.InputTokens != 120 || u.OutputTokens != 30 {
		t.Fatalf("UsageSince = %+v, %v; want 120 in, 30 out", u, err)
	}
}

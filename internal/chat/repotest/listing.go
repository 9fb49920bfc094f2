package repotest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// sortNewestFirst orders sessions as ListSessions must: CreatedAt
// descending, ties broken by ID descending.
func sortNewestFirst(sessions []chat.Session) {
	slices.SortFunc(sessions, func(a, b chat.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

// startMany starts one session of userID per creation time and returns them
// as stored, in ListSessions order.
func startMany(t *testing.T, r chat.Repository, userID string, created []time.Time) []chat.Session {
	t.Helper()
	sessions := make([]chat.Session, len(created))
	for i, c := range created {
		sessions[i] = startOn(t, r, userID, c).Session
	}
	sortNewestFirst(sessions)
	return sessions
}

// testListSessions: only the user's own sessions, complete, newest first
// with ties broken by ID; nothing for an unknown user; a malformed cursor
// is ErrInvalid.
func testListSessions(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	// Equal creation times are the interesting case: only the ID orders
	// them.
	alice := startMany(t, r, "alice", []time.Time{at(0), at(time.Second), at(0), at(2 * time.Second), at(time.Second), at(0)})
	startMany(t, r, "bob", []time.Time{at(0), at(time.Second), at(3 * time.Second)})
	if _, _, err := r.EndSession(ctx, alice[1].ID, chat.EndByUser, at(time.Hour)); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	alice[1] = mustGet(t, r, alice[1].ID) // ended sessions are listed too

	page, err := r.ListSessions(ctx, chat.SessionQuery{UserID: "alice", Limit: 100})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if page.NextCursor != "" {
		t.Errorf("ListSessions: NextCursor = %q on the only page, want \"\"", page.NextCursor)
	}
	if got, want := idsOf(page.Sessions), idsOf(alice); !slices.Equal(got, want) {
		t.Fatalf("ListSessions(alice) = %v, want %v", got, want)
	}
	for i := range alice {
		checkSession(t, "ListSessions", page.Sessions[i], alice[i])
	}

	page, err = r.ListSessions(ctx, chat.SessionQuery{UserID: "nobody", Limit: 10})
	if err != nil {
		t.Errorf("ListSessions(unknown user): %v", err)
	}
	if len(page.Sessions) != 0 || page.NextCursor != "" {
		t.Errorf("ListSessions(unknown user) = %v, %q, want nothing", idsOf(page.Sessions), page.NextCursor)
	}

	for _, c := range []string{"not a cursor!", "%%%", "\x00\xff"} {
		_, err := r.ListSessions(ctx, chat.SessionQuery{UserID: "alice", Limit: 10, Cursor: c})
		checkIs(t, fmt.Sprintf("ListSessions(cursor %q)", c), err, chat.ErrInvalid)
	}
}

// testListSessionsPagination: following NextCursor visits every session
// exactly once, in order, at every page size, including across equal
// CreatedAt values and while newer sessions are being created; the last
// page has no cursor, so no page is ever empty.
func testListSessionsPagination(t *testing.T, h harness) {
	r := h.repo(t)
	user := "carol"
	var created []time.Time
	for i := range 11 {
		created = append(created, at(time.Duration(i/4)*time.Second)) // groups of 4 equal times
	}
	want := startMany(t, r, user, created)

	for _, limit := range []int{1, 2, 3, 4, 5, 10, 11, 12} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			got := walkPages(t, r, user, limit, nil)
			if !slices.Equal(idsOf(got), idsOf(want)) {
				t.Errorf("pages gave %v, want %v", idsOf(got), idsOf(want))
			}
		})
	}

	t.Run("sessions created meanwhile", func(t *testing.T) {
		pages := 0
		got := walkPages(t, r, user, 3, func() {
			// Newer than everything listed so far: must not appear in a
			// later page, nor shift it.
			pages++
			startOn(t, r, user, at(time.Hour+time.Duration(pages)*time.Second))
		})
		if !slices.Equal(idsOf(got), idsOf(want)) {
			t.Errorf("pages gave %v, want %v", idsOf(got), idsOf(want))
		}
	})
}

// walkPages lists all of user's sessions limit at a time, calling between
// (if not nil) after each page but the last.
func walkPages(t *testing.T, r chat.Repository, user string, limit int, between func()) []chat.Session {
	t.Helper()
	var all []chat.Session
	q := chat.SessionQuery{UserID: user, Limit: limit}
	for range 1000 {
		page, err := r.ListSessions(t.Context(), q)
		if err != nil {
			t.Fatalf("ListSessions(%+v): %v", q, err)
		}
		if len(page.Sessions) == 0 {
			t.Errorf("ListSessions(%+v): empty page (a cursor was given where there was no next page)", q)
		}
		if len(page.Sessions) > limit {
			t.Errorf("ListSessions(%+v): %d sessions, more than the limit", q, len(page.Sessions))
		}
		all = append(all, page.Sessions...)
		if page.NextCursor == "" {
			return all
		}
		q.Cursor = page.NextCursor
		if between != nil {
			between()
		}
	}
	t.Fatalf("ListSessions(limit %d): no last page after 1000 pages", limit)
	return nil
}

// testListSessionsLimit: a limit above 100 is clamped to 100.
func testListSessionsLimit(t *testing.T, h harness) {
	r := h.repo(t)
	user := "dave"
	created := make([]time.Time, 101)
	for i := range created {
		created[i] = at(time.Duration(i%7) * time.Second)
	}
	want := startMany(t, r, user, created)

	page, err := r.ListSessions(t.Context(), chat.SessionQuery{UserID: user, Limit: 1000})
	if err != nil {
		t.Fatalf("ListSessions(limit 1000): %v", err)
	}
	if len(page.Sessions) != 100 || page.NextCursor == "" {
		t.Fatalf("ListSessions(limit 1000): %d sessions, cursor %q, want 100 and a cursor", len(page.Sessions), page.NextCursor)
	}
	next, err := r.ListSessions(t.Context(), chat.SessionQuery{UserID: user, Limit: 1000, Cursor: page.NextCursor})
	if err != nil {
		t.Fatalf("ListSessions(second page): %v", err)
	}
	if len(next.Sessions) != 1 || next.NextCursor != "" {
		t.Fatalf("ListSessions(second page): %d sessions, cursor %q, want 1 and none", len(next.Sessions), next.NextCursor)
	}
	if got := idsOf(append(page.Sessions, next.Sessions...)); !slices.Equal(got, idsOf(want)) {
		t.Errorf("pages gave %v, want %v", got, idsOf(want))
	}
}

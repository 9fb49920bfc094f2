package repotest

import (
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testStartSession: the first message gets seq 1, the session LastSeq 1,
// and both are stored as given.
func testStartSession(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	s := newSession("user-start", at(0))
	first := userMessage(s.ID, s.UserID, at(0))

	res, err := r.StartSession(ctx, s, first)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if res.Duplicate {
		t.Error("StartSession of a new session: Duplicate = true")
	}
	wantS := activeSession(s, 1, at(0))
	wantM := withSeq(first, 1)
	checkSession(t, "StartSession result", res.Session, wantS)
	checkMessage(t, "StartSession result", res.Message, wantM)
	checkSession(t, "GetSession", mustGet(t, r, s.ID), wantS)
	checkMessages(t, "ListMessages", allMessages(t, r, s.ID), []chat.SealedMessage{wantM})

	// Seqs are per session: another session starts at 1 again.
	other := startOn(t, r, "user-start", at(time.Second))
	if other.Message.Seq != 1 || other.Session.LastSeq != 1 {
		t.Errorf("second session: first seq %d, LastSeq %d, want 1, 1", other.Message.Seq, other.Session.LastSeq)
	}
}

// testSessionRoundTrip: every Session field survives storage, including the
// ones set by SetSessionModel and EndSession, through GetSession and
// ListSessions alike.
func testSessionRoundTrip(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	s := newSession("user-roundtrip", chat.Millis(time.Date(2024, 2, 29, 23, 59, 59, 999_999_999, time.FixedZone("X", 5*3600))))
	s.UserName = "Zoë \u00e9\u4e16\u754c 😀"
	s.ModelID = "provider/model:v1.2"
	first := userMessage(s.ID, s.UserID, s.CreatedAt)
	if _, err := r.StartSession(ctx, s, first); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	modelAt := s.CreatedAt.Add(1500 * time.Millisecond)
	if _, err := r.SetSessionModel(ctx, s.ID, "model-b", modelAt); err != nil {
		t.Fatalf("SetSessionModel: %v", err)
	}
	endAt := s.CreatedAt.Add(2*time.Hour + 7*time.Millisecond)
	if _, _, err := r.EndSession(ctx, s.ID, chat.EndByIdle, endAt); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	want := s
	want.ModelID = "model-b"
	want.Status = chat.StatusEnded
	want.EndReason = chat.EndByIdle
	want.LastSeq = 1
	want.UpdatedAt = endAt
	want.EndedAt = endAt

	checkSession(t, "GetSession", mustGet(t, r, s.ID), want)
	page, err := r.ListSessions(ctx, chat.SessionQuery{UserID: s.UserID, Limit: 10})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(page.Sessions) != 1 {
		t.Fatalf("ListSessions: %d sessions, want 1", len(page.Sessions))
	}
	checkSession(t, "ListSessions", page.Sessions[0], want)
}

// testSetSessionModel: the model changes, UpdatedAt advances to at, nothing
// else moves.
func testSetSessionModel(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	start := startOn(t, r, "user-model", at(0))
	mustAppend(t, r, aiMessage(start.Session.ID, 1, at(time.Second)))

	got, err := r.SetSessionModel(ctx, start.Session.ID, "model-b", at(3*time.Second))
	if err != nil {
		t.Fatalf("SetSessionModel: %v", err)
	}
	want := activeSession(start.Session, 2, at(3*time.Second))
	want.ModelID = "model-b"
	checkSession(t, "SetSessionModel result", got, want)
	checkSession(t, "GetSession", mustGet(t, r, start.Session.ID), want)

	// Setting it again, even to the same model, is fine.
	got, err = r.SetSessionModel(ctx, start.Session.ID, "model-b", at(4*time.Second))
	if err != nil {
		t.Fatalf("SetSessionModel again: %v", err)
	}
	want.UpdatedAt = at(4 * time.Second)
	checkSession(t, "SetSessionModel again", got, want)
}

// testEndSession: ending records reason and time once; ending again changes
// nothing; an unknown session is not found.
func testEndSession(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	for i, reason := range []string{chat.EndByUser, chat.EndByAdmin, chat.EndByIdle} {
		t.Run(reason, func(t *testing.T) {
			start := startOn(t, r, "user-end", at(time.Duration(i)*time.Minute))
			id := start.Session.ID
			endAt := start.Session.CreatedAt.Add(10 * time.Second)

			got, changed, err := r.EndSession(ctx, id, reason, endAt)
			if err != nil {
				t.Fatalf("EndSession: %v", err)
			}
			if !changed {
				t.Error("EndSession of an active session: changed = false")
			}
			want := start.Session
			want.Status = chat.StatusEnded
			want.EndReason = reason
			want.EndedAt = endAt
			want.UpdatedAt = endAt
			checkSession(t, "EndSession result", got, want)
			checkSession(t, "GetSession", mustGet(t, r, id), want)

			// Again, later and for another reason: the first end stands.
			got, changed, err = r.EndSession(ctx, id, "other", endAt.Add(time.Hour))
			if err != nil {
				t.Fatalf("EndSession again: %v", err)
			}
			if changed {
				t.Error("EndSession of an ended session: changed = true")
			}
			checkSession(t, "EndSession again result", got, want)
			checkSession(t, "GetSession after ending again", mustGet(t, r, id), want)
		})
	}
	t.Run("unknown", func(t *testing.T) {
		_, changed, err := r.EndSession(ctx, newID("ses"), chat.EndByUser, at(0))
		checkIs(t, "EndSession(unknown)", err, chat.ErrNotFound)
		if changed {
			t.Error("EndSession(unknown): changed = true")
		}
	})
}

// testUpdatedAtNeverMovesBack pins a reading of the contract: UpdatedAt is
// "the time of the last message or state change", so a write stamped
// earlier than the session's UpdatedAt (clocks of instances differ a
// little) leaves it where it is instead of moving it back. The write's own
// times (message CreatedAt, EndedAt) are stored as given.
func testUpdatedAtNeverMovesBack(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	start := startOn(t, r, "user-clock", at(10*time.Second))
	id := start.Session.ID

	early := aiMessage(id, 1, at(5*time.Second))
	res := mustAppend(t, r, early)
	checkSession(t, "append stamped earlier", res.Session, activeSession(start.Session, 2, at(10*time.Second)))
	checkMessage(t, "append stamped earlier", res.Message, withSeq(early, 2))

	got, err := r.SetSessionModel(ctx, id, "model-b", at(6*time.Second))
	if err != nil {
		t.Fatalf("SetSessionModel: %v", err)
	}
	if !got.UpdatedAt.Equal(at(10 * time.Second)) {
		t.Errorf("SetSessionModel stamped earlier: UpdatedAt = %s, want %s", got.UpdatedAt, at(10*time.Second))
	}

	got, _, err = r.EndSession(ctx, id, chat.EndByAdmin, at(7*time.Second))
	if err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	if !got.UpdatedAt.Equal(at(10*time.Second)) || !got.EndedAt.Equal(at(7*time.Second)) {
		t.Errorf("EndSession stamped earlier: UpdatedAt, EndedAt = %s, %s, want %s, %s",
			got.UpdatedAt, got.EndedAt, at(10*time.Second), at(7*time.Second))
	}
}

// testHandlesShareOneDatabase: what one handle writes, another reads at
// once, and seqs continue across handles.
func testHandlesShareOneDatabase(t *testing.T, h harness) {
	rs := h.handles(t, 2)
	a, b := rs[0], rs[1]
	start := startOn(t, a, "user-shared", at(0))
	id := start.Session.ID

	checkSession(t, "GetSession on the other handle", mustGet(t, b, id), start.Session)
	res := mustAppend(t, b, aiMessage(id, 1, at(time.Second)))
	if res.Message.Seq != 2 {
		t.Errorf("append on the other handle: seq %d, want 2", res.Message.Seq)
	}
	res = mustAppend(t, a, userMessage(id, "user-shared", at(2*time.Second)))
	if res.Message.Seq != 3 {
		t.Errorf("append back on the first handle: seq %d, want 3", res.Message.Seq)
	}
	if got := seqsOf(allMessages(t, b, id)); len(got) != 3 {
		t.Errorf("ListMessages on the other handle: seqs %v, want [1 2 3]", got)
	}
	page, err := b.ListSessions(t.Context(), chat.SessionQuery{UserID: "user-shared", Limit: 10})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(page.Sessions) != 1 || page.Sessions[0].ID != id {
		t.Errorf("ListSessions on the other handle: %v, want [%s]", idsOf(page.Sessions), id)
	}
}

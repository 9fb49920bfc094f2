package repotest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// maintained is what an adapter's handles must be for RunMaintenance.
type maintained interface {
	chat.Repository
	chat.Maintenance
}

// RunMaintenance runs the contract suite of chat.Maintenance against the
// adapter newDB creates; its handles must implement chat.Maintenance too.
// Like Run, subtests run in parallel, each on its own database.
func RunMaintenance(t *testing.T, newDB Factory) {
	t.Helper()
	h := harness{newDB: newDB}
	tests := []struct {
		name string
		run  func(t *testing.T, h harness)
	}{
		{"ScanSessions", testScanSessions},
		{"ReplaceSealed", testReplaceSealed},
		{"ReplaceSealedWhileLive", testReplaceSealedWhileLive},
		{"ImportRoundTrip", testImportRoundTrip},
		{"ImportResumes", testImportResumes},
		{"ImportErrors", testImportErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, h)
		})
	}
}

// maint opens one handle to a fresh database as a maintained adapter.
func (h harness) maint(t *testing.T) maintained {
	t.Helper()
	r := h.repo(t)
	m, ok := r.(maintained)
	if !ok {
		t.Fatalf("%T does not implement chat.Maintenance", r)
	}
	return m
}

// testScanSessions: every session exactly once, ascending by ID, across
// users and states, as GetSession returns it; pages resume after an ID.
func testScanSessions(t *testing.T, h harness) {
	m := h.maint(t)
	var want []chat.Session
	for i := range 7 {
		res := startOn(t, m, fmt.Sprintf("user-%d", i%3), at(time.Duration(i)*time.Second))
		mustAppend(t, m, aiMessage(res.Session.ID, 1, at(time.Minute)))
		want = append(want, res.Session)
	}
	if _, _, err := m.EndSession(t.Context(), want[2].ID, chat.EndByUser, at(time.Hour)); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	for i := range want {
		want[i] = mustGet(t, m, want[i].ID)
	}
	slices.SortFunc(want, func(a, b chat.Session) int { return cmp.Compare(a.ID, b.ID) })

	for _, limit := range []int{1, 3, 7, 100} {
		var got []chat.Session
		after := ""
		for range 100 {
			page, err := m.ScanSessions(t.Context(), after, limit)
			if err != nil {
				t.Fatalf("ScanSessions(%q, %d): %v", after, limit, err)
			}
			if len(page) > limit {
				t.Fatalf("ScanSessions(%q, %d): %d sessions", after, limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		if !slices.Equal(idsOf(got), idsOf(want)) {
			t.Fatalf("limit %d: scanned %v, want %v", limit, idsOf(got), idsOf(want))
		}
		for i := range want {
			checkSession(t, fmt.Sprintf("limit %d, session %d", limit, i), got[i], want[i])
		}
	}
	if page, err := m.ScanSessions(t.Context(), want[len(want)-1].ID, 10); err != nil || len(page) != 0 {
		t.Errorf("ScanSessions after the last: %v, %v; want none", idsOf(page), err)
	}
}

// testReplaceSealed: content is swapped only while it still holds the
// expected bytes; nothing else about the message moves.
func testReplaceSealed(t *testing.T, h harness) {
	m := h.maint(t)
	start := startOn(t, m, "user-rekey", at(0))
	stored := mustAppend(t, m, aiMessage(start.Session.ID, 1, at(time.Second))).Message
	sessionBefore := mustGet(t, m, start.Session.ID)

	next := sealed("re-encrypted")
	ok, err := m.ReplaceSealed(t.Context(), stored, next)
	if err != nil || !ok {
		t.Fatalf("ReplaceSealed: %v, %v; want true", ok, err)
	}
	want := stored
	want.Sealed = next
	checkMessages(t, "after ReplaceSealed", allMessages(t, m, start.Session.ID), []chat.SealedMessage{start.Message, want})
	checkSession(t, "session after ReplaceSealed", mustGet(t, m, start.Session.ID), sessionBefore)

	// Again with the same expectation: the value moved on (it holds next
	// now), so this is the same swap done already, which reports true
	// without writing.
	if ok, err := m.ReplaceSealed(t.Context(), stored, next); err != nil || !ok {
		t.Errorf("repeating a done swap: %v, %v; want true", ok, err)
	}
	// With a stale expectation and other new content: refused.
	if ok, err := m.ReplaceSealed(t.Context(), stored, sealed("other")); err != nil || ok {
		t.Errorf("stale swap: %v, %v; want false, nil", ok, err)
	}
	// A message that does not exist, or not at that seq.
	ghost := stored
	ghost.Seq = 99
	if ok, err := m.ReplaceSealed(t.Context(), ghost, sealed("x")); err != nil || ok {
		t.Errorf("swap of a missing message: %v, %v; want false, nil", ok, err)
	}
	checkMessages(t, "after refused swaps", allMessages(t, m, start.Session.ID), []chat.SealedMessage{start.Message, want})
}

// testReplaceSealedWhileLive: swaps racing appends on other handles lose
// nothing on either side.
func testReplaceSealedWhileLive(t *testing.T, h harness) {
	rs := h.handles(t, 2)
	m, ok := rs[1].(maintained)
	if !ok {
		t.Fatalf("%T does not implement chat.Maintenance", rs[1])
	}
	start := startOn(t, rs[0], "user-live", at(0))
	id := start.Session.ID
	var old []chat.SealedMessage
	for i := range 10 {
		old = append(old, mustAppend(t, rs[0], aiMessage(id, 1, at(time.Duration(i+1)*time.Second))).Message)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 10 {
			if _, err := rs[0].AppendMessage(t.Context(), aiMessage(id, 1, at(time.Minute+time.Duration(i)*time.Second))); err != nil {
				t.Errorf("append while rekeying: %v", err)
			}
		}
	})
	for _, msg := range old {
		if ok, err := m.ReplaceSealed(t.Context(), msg, sealed("new "+msg.ID)); err != nil || !ok {
			t.Errorf("ReplaceSealed(%s) while appending: %v, %v", msg.ID, ok, err)
		}
	}
	wg.Wait()
	msgs := allMessages(t, rs[0], id)
	if len(msgs) != 21 {
		t.Fatalf("%d messages, want 21", len(msgs))
	}
	for i, msg := range msgs {
		if msg.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, msg.Seq)
		}
		if i >= 1 && i <= 10 && !bytes.Equal(msg.Sealed, sealed("new "+msg.ID)) {
			t.Errorf("seq %d: content not replaced", msg.Seq)
		}
	}
}

// sourceData fills r with sessions covering every state an import must
// carry: ended, taken over, help waiting, a new model, several messages
// with every field set.
func sourceData(t *testing.T, r chat.Repository) []chat.Session {
	t.Helper()
	ctx := t.Context()
	var ids []string
	for i := range 4 {
		res := startOn(t, r, fmt.Sprintf("user-%d", i%2), at(time.Duration(i)*time.Minute))
		id := res.Session.ID
		ids = append(ids, id)
		for j := range 3 {
			ai := aiMessage(id, int64(j+1), at(time.Duration(i)*time.Minute+time.Duration(j+1)*time.Second))
			ai.Interrupted = j == 1
			mustAppend(t, r, ai)
			mustAppend(t, r, userMessage(id, res.Session.UserID, at(time.Duration(i)*time.Minute+time.Duration(j+1)*time.Second+time.Millisecond)))
		}
	}
	if _, err := r.SetSessionModel(ctx, ids[0], "model-b", at(time.Hour)); err != nil {
		t.Fatalf("SetSessionModel: %v", err)
	}
	if _, _, err := r.EndSession(ctx, ids[1], chat.EndByIdle, at(time.Hour)); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	if _, _, err := r.RequestHelp(ctx, ids[2], at(time.Hour)); err != nil {
		t.Fatalf("RequestHelp: %v", err)
	}
	if _, err := r.ChangeOwner(ctx, ids[3], 0, chat.OwnerHuman, "admin-1", "Ada", at(time.Hour)); err != nil {
		t.Fatalf("ChangeOwner: %v", err)
	}
	out := make([]chat.Session, len(ids))
	for i, id := range ids {
		out[i] = mustGet(t, r, id)
	}
	return out
}

// copySession imports s and its messages from src into dst, batch
// messages at a time.
func copySession(t *testing.T, src chat.Repository, dst chat.Maintenance, s chat.Session, batch int) {
	t.Helper()
	if _, err := dst.ImportSession(t.Context(), s); err != nil {
		t.Fatalf("ImportSession(%s): %v", s.ID, err)
	}
	for after := int64(0); ; {
		msgs, err := src.ListMessages(t.Context(), s.ID, after, batch)
		if err != nil {
			t.Fatalf("ListMessages: %v", err)
		}
		if len(msgs) == 0 {
			return
		}
		if _, err := dst.ImportMessages(t.Context(), msgs); err != nil {
			t.Fatalf("ImportMessages(%s after %d): %v", s.ID, after, err)
		}
		after = msgs[len(msgs)-1].Seq
	}
}

// checkCopied fails the test unless dst holds every session of src as
// src does, with the same messages.
func checkCopied(t *testing.T, src, dst chat.Repository, sessions []chat.Session) {
	t.Helper()
	for _, s := range sessions {
		checkSession(t, "imported session", mustGet(t, dst, s.ID), s)
		checkMessages(t, "imported messages of "+s.ID, allMessages(t, dst, s.ID), allMessages(t, src, s.ID))
	}
}

// testImportRoundTrip: an imported session and its messages read back
// exactly as in the source, importing again writes nothing, and the
// imported session carries on as any other (next seq, idempotency keys).
func testImportRoundTrip(t *testing.T, h harness) {
	src := h.maint(t)
	dst := h.maint(t)
	sessions := sourceData(t, src)
	for _, s := range sessions {
		copySession(t, src, dst, s, 2)
	}
	checkCopied(t, src, dst, sessions)

	for _, s := range sessions {
		created, err := dst.ImportSession(t.Context(), s)
		if err != nil || created {
			t.Errorf("ImportSession again: created %v, %v; want false", created, err)
		}
		msgs := allMessages(t, src, s.ID)
		if n, err := dst.ImportMessages(t.Context(), msgs); err != nil || n != 0 {
			t.Errorf("ImportMessages again: %d inserted, %v; want 0", n, err)
		}
	}
	checkCopied(t, src, dst, sessions)

	active := sessions[0]
	next := mustAppend(t, dst, aiMessage(active.ID, 1, at(2*time.Hour)))
	if next.Message.Seq != active.LastSeq+1 || next.Session.LastSeq != active.LastSeq+1 {
		t.Errorf("append after import: seq %d, LastSeq %d, want %d", next.Message.Seq, next.Session.LastSeq, active.LastSeq+1)
	}
	orig := allMessages(t, src, active.ID)[2] // a user message with a client id
	repeat := userMessage(active.ID, orig.AuthorID, at(3*time.Hour))
	repeat.ClientMsgID = orig.ClientMsgID
	if res := mustAppend(t, dst, repeat); !res.Duplicate || res.Message.ID != orig.ID {
		t.Errorf("repeat of an imported message: Duplicate %v, id %s; want the original %s", res.Duplicate, res.Message.ID, orig.ID)
	}
}

// testImportResumes: a copy cut off anywhere (after the session, in the
// middle of its messages) is completed by running it again.
func testImportResumes(t *testing.T, h harness) {
	src := h.maint(t)
	dst := h.maint(t)
	sessions := sourceData(t, src)
	// Cut off: the first session complete, the second half done, the third
	// with its session only.
	copySession(t, src, dst, sessions[0], 100)
	if _, err := dst.ImportSession(t.Context(), sessions[1]); err != nil {
		t.Fatal(err)
	}
	half, err := src.ListMessages(t.Context(), sessions[1].ID, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ImportMessages(t.Context(), half); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ImportSession(t.Context(), sessions[2]); err != nil {
		t.Fatal(err)
	}
	// Run again from the start, with another batch size.
	for _, s := range sessions {
		copySession(t, src, dst, s, 3)
	}
	checkCopied(t, src, dst, sessions)
}

// testImportErrors: what an import must refuse.
func testImportErrors(t *testing.T, h harness) {
	src := h.maint(t)
	dst := h.maint(t)
	sessions := sourceData(t, src)
	s := sessions[0]
	msgs := allMessages(t, src, s.ID)

	if _, err := dst.ImportMessages(t.Context(), msgs[:2]); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("messages of a session not imported: %v, want ErrNotFound", err)
	}
	if _, err := dst.ImportSession(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		msgs []chat.SealedMessage
	}{
		{"a gap before the first", msgs[2:4]},
		{"out of order", []chat.SealedMessage{msgs[1], msgs[0]}},
		{"two sessions", []chat.SealedMessage{msgs[0], allMessages(t, src, sessions[1].ID)[1]}},
	}
	for _, tc := range cases {
		_, err := dst.ImportMessages(t.Context(), tc.msgs)
		checkIs(t, "ImportMessages("+tc.name+")", err, chat.ErrInvalid)
	}
	if _, err := dst.ImportMessages(t.Context(), msgs[:2]); err != nil {
		t.Fatal(err)
	}
	clash := msgs[1]
	clash.ID = newID("msg")
	_, err := dst.ImportMessages(t.Context(), []chat.SealedMessage{clash})
	checkIs(t, "ImportMessages(another message at a stored seq)", err, chat.ErrInvalid)
	checkMessages(t, "after refused imports", allMessages(t, dst, s.ID), msgs[:2])
}

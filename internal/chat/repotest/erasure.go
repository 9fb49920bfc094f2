package repotest

import (
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testDeleteSessions: DeleteSessions removes sessions, active or ended,
// with every message and ownership change, so that no read finds them
// and a deleted message's idempotency key is free again; other sessions
// are untouched; deleting again, or unknown ids, is harmless.
func testDeleteSessions(t *testing.T, h harness) {
	rs := h.handles(t, 2)
	r := rs[0]
	const user, other = "user-erase", "user-stays"

	active := startOn(t, r, user, at(0))
	mustAppend(t, r, aiMessage(active.Session.ID, 1, at(time.Second)))
	// Everything else kept per session: usage, provider conversation ids,
	// a reply owed and leased.
	aid := active.Session.ID
	if err := r.RecordUsage(t.Context(), aid, chat.Usage{InputTokens: 120, OutputTokens: 48}, at(time.Second)); err != nil {
		t.Fatalf("RecordUsage: %v", err)
	}
	if err := r.SetConversationIDs(t.Context(), aid, map[string]string{"dify": "conv-1"}); err != nil {
		t.Fatalf("SetConversationIDs: %v", err)
	}
	if err := r.OweReply(t.Context(), aid, 1, at(time.Second)); err != nil {
		t.Fatalf("OweReply: %v", err)
	}
	if ok, err := r.ClaimReply(t.Context(), aid, "instance-1", at(time.Second), at(time.Hour)); err != nil || !ok {
		t.Fatalf("ClaimReply = %v, %v", ok, err)
	}
	dailyBefore, err := r.UserUsage(t.Context(), user, at(time.Second))
	if err != nil {
		t.Fatalf("UserUsage: %v", err)
	}
	if _, err := r.ChangeOwner(t.Context(), active.Session.ID, 0, chat.OwnerHuman, "admin-1", "Admin", at(2*time.Second)); err != nil {
		t.Fatalf("ChangeOwner: %v", err)
	}
	ended := startOn(t, r, user, at(time.Minute))
	mustAppend(t, r, userMessage(ended.Session.ID, user, at(2*time.Minute)))
	if _, _, err := r.EndSession(t.Context(), ended.Session.ID, chat.EndByUser, at(3*time.Minute)); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	idle := startOn(t, r, user, at(-time.Hour))
	if ended, err := r.EndIdleSessions(t.Context(), at(-30*time.Minute), at(-time.Minute), 10); err != nil || len(ended) != 1 {
		t.Fatalf("EndIdleSessions = %v, %v; want the one idle session", idsOf(ended), err)
	}
	kept := startOn(t, r, other, at(0))
	mustAppend(t, r, aiMessage(kept.Session.ID, 1, at(time.Second)))
	keptSnap := takeSnapshot(t, r, kept.Session.ID)

	ids := []string{active.Session.ID, ended.Session.ID, idle.Session.ID}
	n, err := rs[1].DeleteSessions(t.Context(), ids)
	if err != nil {
		t.Fatalf("DeleteSessions: %v", err)
	}
	if n != len(ids) {
		t.Errorf("DeleteSessions deleted %d sessions, want %d", n, len(ids))
	}
	for _, handle := range rs {
		for _, id := range ids {
			expectGone(t, handle, id)
		}
		checkUserSessions(t, handle, user, 0)
		if c, err := handle.CountSessions(t.Context(), chat.SessionQuery{UserID: user}); err != nil || c != 0 {
			t.Errorf("CountSessions of the erased user = %d, %v; want 0", c, err)
		}
		if left, err := handle.EndedBefore(t.Context(), at(1000*time.Hour), 10); err != nil || len(left) != 0 {
			t.Errorf("EndedBefore after deletion = %v, %v; want nothing", left, err)
		}
	}
	keptSnap.checkUnchanged(t, r)
	if u, err := r.SessionUsage(t.Context(), aid); err != nil || u != (chat.Usage{}) {
		t.Errorf("SessionUsage of a deleted session = %+v, %v; want zero", u, err)
	}
	if ids, err := r.ConversationIDs(t.Context(), aid); err == nil && len(ids) != 0 {
		t.Errorf("ConversationIDs of a deleted session = %v, want none", ids)
	}
	if owed, err := r.OrphanedReplies(t.Context(), at(1000*time.Hour), at(1000*time.Hour), 10); err != nil || len(owed) != 0 {
		t.Errorf("OrphanedReplies after deletion = %v, %v; want none", owed, err)
	}
	// The user's daily totals are counts the token budget rests on, not
	// session data: they stay.
	if u, err := r.UserUsage(t.Context(), user, at(time.Second)); err != nil || u != dailyBefore {
		t.Errorf("UserUsage after deletion = %+v, %v; want %+v as before", u, err, dailyBefore)
	}

	// A deleted message's idempotency key answers nothing any more.
	again := newSession(user, at(time.Hour))
	first := userMessage(again.ID, user, at(time.Hour))
	first.ClientMsgID = active.Message.ClientMsgID
	res, err := r.StartSession(t.Context(), again, first)
	if err != nil {
		t.Fatalf("StartSession reusing a deleted message's client id: %v", err)
	}
	if res.Duplicate || res.Session.ID != again.ID {
		t.Errorf("StartSession reusing a deleted message's client id: duplicate %v of session %s, want a new session %s",
			res.Duplicate, res.Session.ID, again.ID)
	}

	for _, call := range [][]string{ids, {"no-such-session"}, nil} {
		n, err := r.DeleteSessions(t.Context(), call)
		if err != nil || n != 0 {
			t.Errorf("DeleteSessions(%v) = %d, %v; want 0, nil", call, n, err)
		}
	}
}

package repotest

import (
	"slices"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// idemFixture is the state every idempotency case starts from: a user with
// two active sessions, and an original message in the first one that the
// case repeats.
type idemFixture struct {
	user     string
	s1, s2   chat.Session
	original chat.SealedMessage // as stored, with its seq
}

func newIdemFixture(t *testing.T, r chat.Repository) idemFixture {
	t.Helper()
	user := newID("user")
	s1 := startOn(t, r, user, at(0)).Session.ID
	s2 := startOn(t, r, user, at(0)).Session.ID
	orig := mustAppend(t, r, userMessage(s1, user, at(time.Second))).Message
	return idemFixture{user: user, s1: mustGet(t, r, s1), s2: mustGet(t, r, s2), original: orig}
}

// repeat is a retry of the original message: same author and client id,
// everything else new, as a client resending after a lost ack would
// produce it through a fresh server request.
func (f idemFixture) repeat(sessionID string) chat.SealedMessage {
	m := userMessage(sessionID, f.user, at(time.Minute))
	m.ClientMsgID = f.original.ClientMsgID
	m.Sealed = sealed("different content")
	return m
}

// checkDuplicate fails the test unless res reports the original message and
// its session as they are stored, with Duplicate set.
func checkDuplicate(t *testing.T, what string, res chat.AppendResult, wantS chat.Session, wantM chat.SealedMessage) {
	t.Helper()
	if !res.Duplicate {
		t.Errorf("%s: Duplicate = false, want true", what)
	}
	checkMessage(t, what, res.Message, wantM)
	checkSession(t, what, res.Session, wantS)
}

// testIdempotency: a message with a ClientMsgID is identified by (AuthorID,
// ClientMsgID); storing it again writes nothing and returns the original
// with Duplicate set, whatever session the repeat names.
func testIdempotency(t *testing.T, h harness) {
	r := h.repo(t)
	cases := []struct {
		name string
		run  func(t *testing.T, r chat.Repository, f idemFixture)
	}{
		{"append repeat to the same session", func(t *testing.T, r chat.Repository, f idemFixture) {
			snap := takeSnapshot(t, r, f.s1.ID)
			res := mustAppend(t, r, f.repeat(f.s1.ID))
			checkDuplicate(t, "repeat", res, f.s1, f.original)
			snap.checkUnchanged(t, r)
		}},
		{"append repeat naming another session", func(t *testing.T, r chat.Repository, f idemFixture) {
			snap1, snap2 := takeSnapshot(t, r, f.s1.ID), takeSnapshot(t, r, f.s2.ID)
			res := mustAppend(t, r, f.repeat(f.s2.ID))
			checkDuplicate(t, "repeat naming another session", res, f.s1, f.original)
			snap1.checkUnchanged(t, r)
			snap2.checkUnchanged(t, r)
		}},
		{"append repeat naming an unknown session", func(t *testing.T, r chat.Repository, f idemFixture) {
			snap := takeSnapshot(t, r, f.s1.ID)
			res, err := r.AppendMessage(t.Context(), f.repeat(newID("ses")))
			if err != nil {
				t.Fatalf("repeat naming an unknown session: %v, want the original", err)
			}
			checkDuplicate(t, "repeat naming an unknown session", res, f.s1, f.original)
			snap.checkUnchanged(t, r)
		}},
		{"append repeat after the session ended", func(t *testing.T, r chat.Repository, f idemFixture) {
			ended, _, err := r.EndSession(t.Context(), f.s1.ID, chat.EndByUser, at(time.Hour))
			if err != nil {
				t.Fatalf("EndSession: %v", err)
			}
			snap := takeSnapshot(t, r, f.s1.ID)
			res, err := r.AppendMessage(t.Context(), f.repeat(f.s1.ID))
			if err != nil {
				t.Fatalf("repeat after end: %v, want the original", err)
			}
			checkDuplicate(t, "repeat after end", res, ended, f.original)
			snap.checkUnchanged(t, r)
		}},
		{"start session repeating a stored message", func(t *testing.T, r chat.Repository, f idemFixture) {
			snap := takeSnapshot(t, r, f.s1.ID)
			s := newSession(f.user, at(time.Hour))
			res, err := r.StartSession(t.Context(), s, f.repeat(s.ID))
			if err != nil {
				t.Fatalf("StartSession repeat: %v", err)
			}
			checkDuplicate(t, "StartSession repeat", res, f.s1, f.original)
			snap.checkUnchanged(t, r)
			_, err = r.GetSession(t.Context(), s.ID)
			checkIs(t, "GetSession of the session a duplicate start named", err, chat.ErrNotFound)
			checkUserSessions(t, r, f.user, 2)
		}},
		{"start session repeated", func(t *testing.T, r chat.Repository, f idemFixture) {
			s := newSession(f.user, at(time.Hour))
			first := userMessage(s.ID, f.user, at(time.Hour))
			orig, err := r.StartSession(t.Context(), s, first)
			if err != nil {
				t.Fatalf("StartSession: %v", err)
			}
			again := newSession(f.user, at(2*time.Hour))
			retry := first
			retry.ID, retry.SessionID = newID("msg"), again.ID
			res, err := r.StartSession(t.Context(), again, retry)
			if err != nil {
				t.Fatalf("StartSession repeat: %v", err)
			}
			checkDuplicate(t, "StartSession repeat", res, orig.Session, orig.Message)
			_, err = r.GetSession(t.Context(), again.ID)
			checkIs(t, "GetSession of the session a duplicate start named", err, chat.ErrNotFound)

			// The first message of a session is as much a message as any.
			retry.SessionID = s.ID
			res = mustAppend(t, r, retry)
			checkDuplicate(t, "append repeating a first message", res, orig.Session, orig.Message)
			checkUserSessions(t, r, f.user, 3)
		}},
		{"empty client message id never dedupes", func(t *testing.T, r chat.Repository, f idemFixture) {
			var seqs []int64
			for range 2 {
				m := userMessage(f.s1.ID, f.user, at(time.Minute))
				m.ClientMsgID = ""
				res := mustAppend(t, r, m)
				if res.Duplicate {
					t.Error("user message without client id: Duplicate = true")
				}
				a := mustAppend(t, r, aiMessage(f.s1.ID, res.Message.Seq, at(time.Minute)))
				if a.Duplicate {
					t.Error("ai message: Duplicate = true")
				}
				seqs = append(seqs, res.Message.Seq, a.Message.Seq)
			}
			want := []int64{3, 4, 5, 6}
			if !slices.Equal(seqs, want) {
				t.Errorf("seqs %v, want %v", seqs, want)
			}
			if n := len(allMessages(t, r, f.s1.ID)); n != 6 {
				t.Errorf("%d messages stored, want 6", n)
			}
		}},
		{"same client message id from another author", func(t *testing.T, r chat.Repository, f idemFixture) {
			m := userMessage(f.s1.ID, newID("admin"), at(time.Minute))
			m.Sender = chat.SenderAdmin
			m.ClientMsgID = f.original.ClientMsgID
			res := mustAppend(t, r, m)
			if res.Duplicate {
				t.Error("Duplicate = true for another author's message")
			}
			checkMessage(t, "another author's message", res.Message, withSeq(m, 3))

			other := newSession(newID("user"), at(time.Hour))
			first := userMessage(other.ID, other.UserID, at(time.Hour))
			first.ClientMsgID = f.original.ClientMsgID
			started, err := r.StartSession(t.Context(), other, first)
			if err != nil {
				t.Fatalf("StartSession: %v", err)
			}
			if started.Duplicate || started.Session.ID != other.ID {
				t.Errorf("StartSession by another author: Duplicate = %v, session %s, want a new session %s",
					started.Duplicate, started.Session.ID, other.ID)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, r, newIdemFixture(t, r))
		})
	}
}

// checkUserSessions fails the test unless the user has n sessions.
func checkUserSessions(t *testing.T, r chat.Repository, userID string, n int) {
	t.Helper()
	page, err := r.ListSessions(t.Context(), chat.SessionQuery{UserID: userID, Limit: 100})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(page.Sessions) != n {
		t.Errorf("user has %d sessions %v, want %d", len(page.Sessions), idsOf(page.Sessions), n)
	}
}

package repotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// base is the time every fixture is relative to. It has a non-zero
// millisecond part, so an adapter dropping milliseconds is caught.
func base() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 345_000_000, time.UTC) }

// at is base plus d, truncated as callers of a Repository do.
func at(d time.Duration) time.Time { return chat.Millis(base().Add(d)) }

// newID returns a fresh random id with a readable prefix.
func newID(prefix string) string { return prefix + "-" + strings.ToLower(rand.Text()) }

// sealed returns content that looks like what a Sealer produces: binary,
// with zero bytes and invalid UTF-8 around the text.
func sealed(text string) []byte {
	b := []byte{0x01, 0x00, 0xff, 0xfe}
	b = append(b, text...)
	return append(b, 0x00, 0xc3, 0x28)
}

// newSession returns an active session of userID created at created.
func newSession(userID string, created time.Time) chat.Session {
	return chat.Session{
		ID:        newID("ses"),
		UserID:    userID,
		UserName:  "Name of " + userID,
		ModelID:   "model-a",
		Status:    chat.StatusActive,
		Owner:     chat.OwnerAI,
		CreatedAt: created,
		UpdatedAt: created,
		// Any bytes: adapters store the sealed title as given.
		SealedTitle: sealed("title of a session of " + userID),
	}
}

// userMessage returns a message written by user authorID, with a fresh
// client message id.
func userMessage(sessionID, authorID string, created time.Time) chat.SealedMessage {
	return chat.SealedMessage{
		MessageMeta: chat.MessageMeta{
			ID:          newID("msg"),
			SessionID:   sessionID,
			ClientMsgID: newID("cli"),
			AuthorID:    authorID,
			Sender:      chat.SenderUser,
			SenderName:  "Name of " + authorID,
			CreatedAt:   created,
		},
		Sealed: sealed("from " + authorID),
	}
}

// aiMessage returns an assistant reply to seq replyTo.
func aiMessage(sessionID string, replyTo int64, created time.Time) chat.SealedMessage {
	return chat.SealedMessage{
		MessageMeta: chat.MessageMeta{
			ID:         newID("msg"),
			SessionID:  sessionID,
			Sender:     chat.SenderAI,
			SenderName: "Assistant",
			ReplyTo:    replyTo,
			ModelID:    "model-a",
			TokensIn:   120,
			TokensOut:  48,
			CreatedAt:  created,
		},
		Sealed: sealed("reply"),
	}
}

// startOn starts a new session of userID at created on r and fails the test
// if that does not work.
func startOn(t *testing.T, r chat.Repository, userID string, created time.Time) chat.AppendResult {
	t.Helper()
	s := newSession(userID, created)
	res, err := r.StartSession(t.Context(), s, userMessage(s.ID, userID, created))
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	return res
}

// mustAppend appends m and fails the test if that does not work.
func mustAppend(t *testing.T, r chat.Repository, m chat.SealedMessage) chat.AppendResult {
	t.Helper()
	res, err := r.AppendMessage(t.Context(), m)
	if err != nil {
		t.Fatalf("AppendMessage(session %s): %v", m.SessionID, err)
	}
	return res
}

// mustGet reads a session and fails the test if that does not work.
func mustGet(t *testing.T, r chat.Repository, id string) chat.Session {
	t.Helper()
	s, err := r.GetSession(t.Context(), id)
	if err != nil {
		t.Fatalf("GetSession(%s): %v", id, err)
	}
	return s
}

// allMessages lists every message of a session (up to 10000).
func allMessages(t *testing.T, r chat.Repository, sessionID string) []chat.SealedMessage {
	t.Helper()
	msgs, err := r.ListMessages(t.Context(), sessionID, 0, 10000)
	if err != nil {
		t.Fatalf("ListMessages(%s): %v", sessionID, err)
	}
	return msgs
}

// snapshot is what a write that must change nothing is checked against.
type snapshot struct {
	session  chat.Session
	messages []chat.SealedMessage
}

func takeSnapshot(t *testing.T, r chat.Repository, sessionID string) snapshot {
	t.Helper()
	return snapshot{session: mustGet(t, r, sessionID), messages: allMessages(t, r, sessionID)}
}

// checkUnchanged fails the test if the session or its messages differ from
// the snapshot.
func (s snapshot) checkUnchanged(t *testing.T, r chat.Repository) {
	t.Helper()
	checkSession(t, "session after a write that must change nothing", mustGet(t, r, s.session.ID), s.session)
	checkMessages(t, "messages after a write that must change nothing", allMessages(t, r, s.session.ID), s.messages)
}

// diffs collects field mismatches, so one failure lists all of them.
type diffs []string

func field[T comparable](d *diffs, name string, got, want T) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %#v, want %#v", name, got, want))
	}
}

// timeField compares instants and requires UTC, as the contract says.
func timeField(d *diffs, name string, got, want time.Time) {
	if !got.Equal(want) {
		*d = append(*d, fmt.Sprintf("%s = %s, want %s", name, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano)))
	}
	if got.Location() != time.UTC {
		*d = append(*d, fmt.Sprintf("%s has location %q, want UTC", name, got.Location()))
	}
}

func sessionDiffs(got, want chat.Session) diffs {
	var d diffs
	field(&d, "ID", got.ID, want.ID)
	field(&d, "UserID", got.UserID, want.UserID)
	field(&d, "UserName", got.UserName, want.UserName)
	field(&d, "ModelID", got.ModelID, want.ModelID)
	field(&d, "Status", got.Status, want.Status)
	field(&d, "EndReason", got.EndReason, want.EndReason)
	field(&d, "LastSeq", got.LastSeq, want.LastSeq)
	timeField(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	timeField(&d, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	timeField(&d, "EndedAt", got.EndedAt, want.EndedAt)
	field(&d, "Owner", got.Owner, want.Owner)
	field(&d, "AdminID", got.AdminID, want.AdminID)
	field(&d, "AdminName", got.AdminName, want.AdminName)
	field(&d, "Epoch", got.Epoch, want.Epoch)
	timeField(&d, "HelpRequestedAt", got.HelpRequestedAt, want.HelpRequestedAt)
	field(&d, "AdminAssisted", got.AdminAssisted, want.AdminAssisted)
	field(&d, "SealedTitle", string(got.SealedTitle), string(want.SealedTitle))
	return d
}

func messageDiffs(got, want chat.SealedMessage) diffs {
	var d diffs
	field(&d, "ID", got.ID, want.ID)
	field(&d, "SessionID", got.SessionID, want.SessionID)
	field(&d, "Seq", got.Seq, want.Seq)
	field(&d, "ClientMsgID", got.ClientMsgID, want.ClientMsgID)
	field(&d, "AuthorID", got.AuthorID, want.AuthorID)
	field(&d, "Sender", got.Sender, want.Sender)
	field(&d, "SenderName", got.SenderName, want.SenderName)
	field(&d, "ReplyTo", got.ReplyTo, want.ReplyTo)
	field(&d, "ModelID", got.ModelID, want.ModelID)
	field(&d, "Interrupted", got.Interrupted, want.Interrupted)
	field(&d, "TokensIn", got.TokensIn, want.TokensIn)
	field(&d, "TokensOut", got.TokensOut, want.TokensOut)
	timeField(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	if !bytes.Equal(got.Sealed, want.Sealed) {
		d = append(d, fmt.Sprintf("Sealed = %s, want %s", preview(got.Sealed), preview(want.Sealed)))
	}
	return d
}

// preview shows the start of a byte slice and its length.
func preview(b []byte) string {
	const n = 24
	if len(b) <= n {
		return fmt.Sprintf("%x (%d bytes)", b, len(b))
	}
	return fmt.Sprintf("%x... (%d bytes)", b[:n], len(b))
}

func checkSession(t *testing.T, what string, got, want chat.Session) {
	t.Helper()
	if d := sessionDiffs(got, want); len(d) > 0 {
		t.Errorf("%s: session %s differs:\n\t%s", what, want.ID, strings.Join(d, "\n\t"))
	}
}

func checkMessage(t *testing.T, what string, got, want chat.SealedMessage) {
	t.Helper()
	if d := messageDiffs(got, want); len(d) > 0 {
		t.Errorf("%s: message %s differs:\n\t%s", what, want.ID, strings.Join(d, "\n\t"))
	}
}

func checkMessages(t *testing.T, what string, got, want []chat.SealedMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d messages %v, want %d %v", what, len(got), seqsOf(got), len(want), seqsOf(want))
		return
	}
	for i := range got {
		checkMessage(t, fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
	}
}

func seqsOf(msgs []chat.SealedMessage) []int64 {
	seqs := make([]int64, len(msgs))
	for i, m := range msgs {
		seqs[i] = m.Seq
	}
	return seqs
}

func idsOf(sessions []chat.Session) []string {
	ids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i] = s.ID
	}
	return ids
}

// checkIs fails the test unless err matches target and carries context, as
// the contract asks adapters to wrap sentinels.
func checkIs(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %v", what, target)
	case !errors.Is(err, target):
		t.Errorf("%s: error %q does not match %v", what, err, target)
	case err.Error() == target.Error():
		t.Errorf("%s: error %q is not wrapped with context", what, err)
	}
}

// activeSession is a session as StartSession stores it.
func activeSession(s chat.Session, lastSeq int64, updated time.Time) chat.Session {
	s.Status = chat.StatusActive
	s.LastSeq = lastSeq
	s.UpdatedAt = updated
	return s
}

// withSeq is m as stored with seq.
func withSeq(m chat.SealedMessage, seq int64) chat.SealedMessage {
	m.Seq = seq
	return m
}

// cancelled returns a context that is already cancelled.
func cancelled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

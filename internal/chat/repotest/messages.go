package repotest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testAppendMessage: each message gets LastSeq+1, and the session's LastSeq
// and UpdatedAt follow it.
func testAppendMessage(t *testing.T, h harness) {
	r := h.repo(t)
	start := startOn(t, r, "user-append", at(0))
	id := start.Session.ID
	want := []chat.SealedMessage{start.Message}

	// Another session written in between must not disturb the numbering.
	other := startOn(t, r, "user-append", at(0))

	for i := range 5 {
		created := at(time.Duration(i+1) * time.Second)
		m := userMessage(id, "user-append", created)
		if i%2 == 1 {
			m = aiMessage(id, int64(i+1), created)
		}
		m.Seq = 99 // ignored: the adapter assigns seqs
		res := mustAppend(t, r, m)
		seq := int64(i + 2)
		if res.Duplicate {
			t.Errorf("append %d: Duplicate = true", seq)
		}
		checkMessage(t, "AppendMessage result", res.Message, withSeq(m, seq))
		wantS := activeSession(start.Session, seq, created)
		checkSession(t, "AppendMessage result", res.Session, wantS)
		checkSession(t, "GetSession after append", mustGet(t, r, id), wantS)
		want = append(want, withSeq(m, seq))

		mustAppend(t, r, aiMessage(other.Session.ID, 1, created))
	}
	checkMessages(t, "ListMessages", allMessages(t, r, id), want)
	if got := mustGet(t, r, other.Session.ID).LastSeq; got != 6 {
		t.Errorf("other session: LastSeq = %d, want 6", got)
	}
}

// testMessageRoundTrip: every MessageMeta field and the sealed bytes survive
// storage exactly, whatever the bytes are.
func testMessageRoundTrip(t *testing.T, h harness) {
	r := h.repo(t)
	start := startOn(t, r, "user-bytes", at(0))
	id := start.Session.ID

	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	large := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range large {
		large[i] = byte(rng.Uint32())
	}

	user := userMessage(id, "user-bytes", at(time.Second))
	user.SenderName = "Zoë \u4e16\u754c 😀"
	ai := aiMessage(id, 2, at(2*time.Second+7*time.Millisecond))
	ai.Interrupted = true
	ai.TokensIn = 1 << 30
	ai.TokensOut = 0
	ai.ModelID = "provider/model:v1.2"
	admin := userMessage(id, "admin-1", at(3*time.Second))
	admin.Sender = chat.SenderAdmin
	system := chat.SealedMessage{MessageMeta: chat.MessageMeta{ID: newID("msg"), SessionID: id, Sender: chat.SenderSystem, CreatedAt: at(4 * time.Second)}}
	future := aiMessage(id, 4, chat.Millis(time.Date(2099, 12, 31, 23, 59, 59, 999_000_000, time.UTC)))

	cases := []struct {
		name   string
		m      chat.SealedMessage
		sealed []byte
	}{
		{"user", user, sealed("hello")},
		{"ai interrupted", ai, sealed("partial repl")},
		{"admin", admin, []byte("plain ascii")},
		{"system without name", system, []byte{0x00}},
		{"far future", future, []byte{0xff}},
		{"zero bytes only", aiMessage(id, 1, at(5*time.Second)), make([]byte, 64)},
		{"invalid utf-8", aiMessage(id, 1, at(6*time.Second)), []byte{0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc}},
		{"all byte values", aiMessage(id, 1, at(7*time.Second)), allBytes},
		{"trailing zeros", aiMessage(id, 1, at(8*time.Second)), []byte{'a', 'b', 0, 0, 0}},
		{"256 KiB", aiMessage(id, 1, at(9*time.Second)), large},
	}
	want := []chat.SealedMessage{start.Message}
	for i, tc := range cases {
		m := tc.m
		m.Sealed = append([]byte(nil), tc.sealed...)
		res := mustAppend(t, r, m)
		stored := withSeq(m, int64(i+2))
		stored.Sealed = tc.sealed
		checkMessage(t, fmt.Sprintf("AppendMessage(%s) result", tc.name), res.Message, stored)
		// What is stored must not alias the caller's slice, which the
		// caller may reuse: scribble over it before reading back.
		clear(m.Sealed)
		want = append(want, stored)
	}
	got := allMessages(t, r, id)
	checkMessages(t, "ListMessages", got, want)
}

// testListMessages: seq > afterSeq, ascending, at most limit, only the
// session's own; an unknown session is empty, not an error.
func testListMessages(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	start := startOn(t, r, "user-list", at(0))
	id := start.Session.ID
	other := startOn(t, r, "user-list", at(0))
	all := []chat.SealedMessage{start.Message}
	for i := range 9 {
		res := mustAppend(t, r, aiMessage(id, 1, at(time.Duration(i+1)*time.Second)))
		all = append(all, res.Message)
		mustAppend(t, r, aiMessage(other.Session.ID, 1, at(time.Duration(i+1)*time.Second)))
	}

	cases := []struct {
		after int64
		limit int
		from  int // want all[from:to]
		to    int
	}{
		{after: 0, limit: 100, from: 0, to: 10},
		{after: 0, limit: 10, from: 0, to: 10},
		{after: 0, limit: 3, from: 0, to: 3},
		{after: 3, limit: 4, from: 3, to: 7},
		{after: 8, limit: 100, from: 8, to: 10},
		{after: 9, limit: 1, from: 9, to: 10},
		{after: 10, limit: 5, from: 10, to: 10},
		{after: 1000, limit: 5, from: 10, to: 10},
		{after: -5, limit: 2, from: 0, to: 2},
		{after: 0, limit: 0, from: 0, to: 0}, // at most 0: none, not "no limit"
	}
	for _, tc := range cases {
		got, err := r.ListMessages(ctx, id, tc.after, tc.limit)
		if err != nil {
			t.Errorf("ListMessages(after %d, limit %d): %v", tc.after, tc.limit, err)
			continue
		}
		checkMessages(t, fmt.Sprintf("ListMessages(after %d, limit %d)", tc.after, tc.limit), got, all[tc.from:tc.to])
	}

	// Reading page by page from the last seq seen visits every message once.
	var paged []chat.SealedMessage
	for after := int64(0); len(paged) < 100; {
		page, err := r.ListMessages(ctx, id, after, 3)
		if err != nil {
			t.Fatalf("ListMessages(after %d, limit 3): %v", after, err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	checkMessages(t, "ListMessages page by page", paged, all)

	got, err := r.ListMessages(ctx, newID("ses"), 0, 10)
	if err != nil {
		t.Errorf("ListMessages(unknown session): %v, want no error", err)
	}
	if len(got) != 0 {
		t.Errorf("ListMessages(unknown session): %d messages, want 0", len(got))
	}
}

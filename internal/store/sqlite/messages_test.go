package sqlite

import (
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// benchMessage is a typical user message with 200 bytes of sealed content.
func benchMessage(sessionID, id string) chat.SealedMessage {
	return chat.SealedMessage{
		MessageMeta: chat.MessageMeta{
			ID: id, SessionID: sessionID, ClientMsgID: "c-" + id, AuthorID: "u1",
			Sender: chat.SenderUser, SenderName: "User One", CreatedAt: testTime(time.Second),
		},
		Sealed: make([]byte, 200),
	}
}

// BenchmarkAppendMessage measures one durable append (a synced WAL commit)
// at a time to one session.
func BenchmarkAppendMessage(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "chat.db"))
	benchAppend(b, s, func(run func()) {
		for b.Loop() {
			run()
		}
	})
}

// BenchmarkAppendMessageParallel measures appends from GOMAXPROCS goroutines
// to one session, which all queue for the one write lock.
func BenchmarkAppendMessageParallel(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "chat.db"))
	benchAppend(b, s, func(run func()) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run()
			}
		})
	})
}

func benchAppend(b *testing.B, s *Store, loop func(run func())) {
	b.Helper()
	sess, first := testSession("bench")
	if _, err := s.StartSession(b.Context(), sess, first); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	loop(func() {
		id := "m" + strconv.FormatInt(n.Add(1), 10)
		if _, err := s.AppendMessage(b.Context(), benchMessage(sess.ID, id)); err != nil {
			b.Error(err)
		}
	})
}

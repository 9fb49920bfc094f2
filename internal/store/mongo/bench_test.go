package mongo

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// benchTime is a fixed, millisecond-precise instant.
func benchTime(d time.Duration) time.Time {
	return chat.Millis(time.Date(2025, 6, 1, 12, 0, 0, 345_000_000, time.UTC).Add(d))
}

// benchMessage is a typical user message with 200 bytes of sealed content,
// like the SQLite adapter's benchmark uses.
func benchMessage(sessionID, id string) chat.SealedMessage {
	return chat.SealedMessage{
		MessageMeta: chat.MessageMeta{
			ID: id, SessionID: sessionID, ClientMsgID: "c-" + id, AuthorID: "u1",
			Sender: chat.SenderUser, SenderName: "User One", CreatedAt: benchTime(time.Second),
		},
		Sealed: make([]byte, 200),
	}
}

// BenchmarkAppendMessage measures one acknowledged append at a time to one
// session, over loopback to the embedded FerretDB (or TEST_MONGO_URI's
// server). FerretDB is a test stand-in that scans instead of using
// secondary indexes, so this is a floor, not MongoDB's speed.
func BenchmarkAppendMessage(b *testing.B) {
	s := benchStore(b)
	benchAppend(b, s, func(run func()) {
		for b.Loop() {
			run()
		}
	})
}

// BenchmarkAppendMessageParallel measures appends from GOMAXPROCS
// goroutines to one session through one Store.
func BenchmarkAppendMessageParallel(b *testing.B) {
	s := benchStore(b)
	benchAppend(b, s, func(run func()) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run()
			}
		})
	})
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s := openTest(b, mongotest.NewTarget(b).URI("bench"))
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func benchAppend(b *testing.B, s *Store, loop func(run func())) {
	b.Helper()
	sess := chat.Session{ID: "bench", UserID: "u1", UserName: "User One", ModelID: "m1", CreatedAt: benchTime(0), UpdatedAt: benchTime(0)}
	if _, err := s.StartSession(b.Context(), sess, benchMessage(sess.ID, "m0")); err != nil {
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

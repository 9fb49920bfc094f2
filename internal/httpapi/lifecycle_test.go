package httpapi

import (
	"encoding/json"
	"errors"
	"iter"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// messagesOf yields msgs, then err if it is set.
func messagesOf(err error, msgs ...chat.Message) iter.Seq2[chat.Message, error] {
	return func(yield func(chat.Message, error) bool) {
		for _, m := range msgs {
			if !yield(m, nil) {
				return
			}
		}
		if err != nil {
			yield(chat.Message{}, err)
		}
	}
}

// TestExportDocument: the streamed export is one valid JSON document,
// with or without sessions, marked complete only by finish.
func TestExportDocument(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	msg := func(seq int64, text string) chat.Message {
		return chat.Message{MessageMeta: chat.MessageMeta{ID: "m", SessionID: "s1", Seq: seq, Sender: chat.SenderUser, CreatedAt: at}, Content: text}
	}
	for _, sessions := range []int{0, 1, 3} {
		rec := httptest.NewRecorder()
		w := &exportWriter{w: rec, userID: "alice", at: at}
		for i := range sessions {
			s := chat.Session{ID: "s1", UserID: "alice", Status: chat.StatusActive, CreatedAt: at, UpdatedAt: at}
			var ms []chat.Message
			for j := range i {
				ms = append(ms, msg(int64(j+1), "text \"quoted\" \u2028"))
			}
			if err := w.WriteSession(s, messagesOf(nil, ms...)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.finish(); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			UserID   string `json:"user_id"`
			Sessions []struct {
				Messages []map[string]any `json:"messages"`
			} `json:"sessions"`
			Complete bool `json:"complete"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%d sessions: invalid JSON %q: %v", sessions, rec.Body.String(), err)
		}
		if doc.UserID != "alice" || !doc.Complete || len(doc.Sessions) != sessions {
			t.Errorf("%d sessions: got %+v", sessions, doc)
		}
		for i, s := range doc.Sessions {
			if len(s.Messages) != i {
				t.Errorf("session %d has %d messages, want %d", i, len(s.Messages), i)
			}
		}
	}
}

// TestExportStopsOnAFailedRead: an error while reading messages ends the
// session's writing with that error, and the document stays incomplete.
func TestExportStopsOnAFailedRead(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &exportWriter{w: rec, userID: "alice", at: time.Now()}
	boom := errors.New("storage gone")
	err := w.WriteSession(chat.Session{ID: "s1"}, messagesOf(boom, chat.Message{Content: "one"}))
	if !errors.Is(err, boom) {
		t.Fatalf("WriteSession = %v, want the read error", err)
	}
	if !w.started {
		t.Error("the document was not started, so the failure would not be answered as a cut-off stream")
	}
	_ = w.buf.Flush()
	var v any
	if json.Unmarshal(rec.Body.Bytes(), &v) == nil {
		t.Errorf("a failed export parses as complete JSON: %s", rec.Body.String())
	}
}

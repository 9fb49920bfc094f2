package sqlite

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/notify"
)

// TestErasureLeavesNoRow: after the outbox erasure and DeleteSessions, no
// row of any table of the file mentions the session or its user: checked
// by reading every table directly, not through the adapter's own queries.
func TestErasureLeavesNoRow(t *testing.T) {
	s := openTest(t, t.TempDir()+"/chat.db")
	ctx := t.Context()
	const user = "user-to-erase"
	sess := chat.Session{ID: "session-to-erase", UserID: user, UserName: "Erased User", ModelID: "m",
		Owner: chat.OwnerAI, CreatedAt: testTime(0), UpdatedAt: testTime(0)}
	first := chat.SealedMessage{MessageMeta: chat.MessageMeta{ID: "m1", SessionID: sess.ID, ClientMsgID: "c1",
		AuthorID: user, Sender: chat.SenderUser, SenderName: "Erased User", CreatedAt: testTime(0)}, Sealed: []byte("x")}
	if _, err := s.StartSession(ctx, sess, first); err != nil {
		t.Fatal(err)
	}
	reply := chat.SealedMessage{MessageMeta: chat.MessageMeta{ID: "m2", SessionID: sess.ID, Sender: chat.SenderAI,
		ReplyTo: 1, CreatedAt: testTime(time.Second)}, Sealed: []byte("y")}
	if _, err := s.AppendMessage(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeOwner(ctx, sess.ID, 0, chat.OwnerHuman, "admin", "Admin", testTime(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConversationIDs(ctx, sess.ID, map[string]string{"dify": "conv-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.OweReply(ctx, sess.ID, 2, testTime(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimReply(ctx, sess.ID, "instance-1", testTime(2*time.Second), testTime(time.Minute)); err != nil || !ok {
		t.Fatalf("ClaimReply = %v, %v", ok, err)
	}
	if ended, err := s.EndIdleSessions(ctx, testTime(time.Hour), testTime(time.Hour), 10); err != nil || len(ended) != 1 {
		t.Fatalf("EndIdleSessions = %d sessions, %v", len(ended), err)
	}
	scope := "help_requested/" + sess.ID
	note := notify.Notification{ID: "n1", Key: "k1", Event: notify.HelpRequested, Channel: notify.Email,
		Recipient: "ops@example.com", SessionID: sess.ID, Payload: []byte(user)}
	if _, err := s.Outbox().Enqueue(ctx, testTime(0), []notify.Notification{note}, &notify.RateLimit{Scope: scope, Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if found := rowsMentioning(t, s, sess.ID, user); len(found) == 0 {
		t.Fatal("the fixture left no row to erase")
	}

	if _, err := s.Outbox().EraseSessions(ctx, []string{sess.ID}, []string{scope}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteSessions(ctx, []string{sess.ID}); err != nil || n != 1 {
		t.Fatalf("DeleteSessions = %d, %v", n, err)
	}
	if found := rowsMentioning(t, s, sess.ID, user); len(found) != 0 {
		t.Errorf("rows still mentioning the erased session or user:\n%s", strings.Join(found, "\n"))
	}
}

// rowsMentioning returns the rows (table and values) of every table whose
// values contain any of the needles.
func rowsMentioning(t *testing.T, s *Store, needles ...string) []string {
	t.Helper()
	ctx := t.Context()
	tables, err := s.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var name string
		if err := tables.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	tables.Close()
	var found []string
	for _, name := range names {
		rows, err := s.read.QueryContext(ctx, `SELECT * FROM "`+name+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if mentions(vals, needles) {
				found = append(found, fmt.Sprintf("%s: %v", name, vals))
			}
		}
		rows.Close()
	}
	return found
}

func mentions(vals []any, needles []string) bool {
	for _, v := range vals {
		var b []byte
		switch v := v.(type) {
		case string:
			b = []byte(v)
		case []byte:
			b = v
		default:
			continue
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				return true
			}
		}
	}
	return false
}

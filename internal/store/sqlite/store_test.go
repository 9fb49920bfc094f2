package sqlite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/chat/repotest"
)

func TestRepositoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) func(t *testing.T) chat.Repository {
		path := filepath.Join(t.TempDir(), "chat.db")
		return func(t *testing.T) chat.Repository {
			t.Helper()
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

// openTest opens the database at path and closes it when t ends.
func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testTime is a fixed, millisecond-precise instant.
func testTime(d time.Duration) time.Time {
	return chat.Millis(time.Date(2025, 6, 1, 12, 0, 0, 345_000_000, time.UTC).Add(d))
}

func testSession(id string) (chat.Session, chat.SealedMessage) {
	s := chat.Session{ID: id, UserID: "u1", UserName: "User One", ModelID: "m1", CreatedAt: testTime(0), UpdatedAt: testTime(0)}
	m := chat.SealedMessage{
		MessageMeta: chat.MessageMeta{ID: id + "-m1", SessionID: id, ClientMsgID: id + "-c1", AuthorID: "u1", Sender: chat.SenderUser, CreatedAt: testTime(0)},
		Sealed:      []byte{0x00, 0x01, 0xff, 0x00},
	}
	return s, m
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	sess, first := testSession("s1")
	if _, err := s.StartSession(t.Context(), sess, first); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, path)
	got, err := s.GetSession(t.Context(), "s1")
	if err != nil {
		t.Fatalf("GetSession after reopening: %v", err)
	}
	if got.LastSeq != 1 || got.UserName != "User One" {
		t.Errorf("session after reopening = %+v", got)
	}
	res, err := s.AppendMessage(t.Context(), chat.SealedMessage{
		MessageMeta: chat.MessageMeta{ID: "s1-m2", SessionID: "s1", Sender: chat.SenderAI, CreatedAt: testTime(time.Second)},
		Sealed:      []byte("x"),
	})
	if err != nil || res.Message.Seq != 2 {
		t.Errorf("append after reopening: seq %d, %v; want seq 2", res.Message.Seq, err)
	}
	// The idempotency key survives the restart too.
	res, err = s.AppendMessage(t.Context(), first)
	if err != nil || !res.Duplicate {
		t.Errorf("repeat of a message stored before the restart: Duplicate = %v, %v", res.Duplicate, err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		// Running them again on an open, migrated database is a no-op too.
		if err := migrate(t.Context(), s.write); err != nil {
			t.Errorf("migrate again: %v", err)
		}
		var version int
		if err := s.read.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		if version != len(ms) {
			t.Errorf("open #%d: schema version %d, want %d", i+1, version, len(ms))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(t.Context(), "PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), path); err == nil {
		_ = s.Close()
		t.Fatal("Open of a database from a newer schema succeeded")
	}
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range ms {
		if m.version != i+1 || m.sql == "" {
			t.Errorf("migration %d: version %d, %d bytes of SQL", i, m.version, len(m.sql))
		}
	}
}

// TestConnectionSettings checks the settings durability and concurrency rest
// on, as SQLite reports them, not as the DSN asked for them.
func TestConnectionSettings(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "chat.db"))
	ctx := t.Context()
	checks := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, c := range checks {
		var got string
		if err := s.write.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("writer PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	// The read pool refuses writes.
	if _, err := s.read.ExecContext(ctx, "CREATE TABLE t (x)"); err == nil {
		t.Error("write through the read pool succeeded")
	}
}

func TestSealedStoredAsBlob(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "chat.db"))
	sess, first := testSession("s1")
	// Bytes that a text column would mangle: zero bytes and invalid UTF-8.
	first.Sealed = []byte{0x00, 0xc3, 0x28, 'p', 'l', 'a', 'i', 'n', 0x00, 0xff}
	if _, err := s.StartSession(t.Context(), sess, first); err != nil {
		t.Fatal(err)
	}
	var (
		typ     string
		content []byte
	)
	err := s.read.QueryRowContext(t.Context(), "SELECT typeof(content), content FROM messages WHERE id = ?", first.ID).Scan(&typ, &content)
	if err != nil {
		t.Fatal(err)
	}
	if typ != "blob" || !bytes.Equal(content, first.Sealed) {
		t.Errorf("stored content: %s %x, want blob %x", typ, content, first.Sealed)
	}

	// Empty content is an empty BLOB, never NULL.
	_, err = s.AppendMessage(t.Context(), chat.SealedMessage{
		MessageMeta: chat.MessageMeta{ID: "s1-m2", SessionID: "s1", Sender: chat.SenderSystem, CreatedAt: testTime(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.read.QueryRowContext(t.Context(), "SELECT typeof(content) FROM messages WHERE id = 's1-m2'").Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "blob" {
		t.Errorf("empty content stored as %s, want blob", typ)
	}
}

func TestOpenCreatesDirectoryAndHandlesOddPaths(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b", "c?d#e%20f")
	path := filepath.Join(dir, "chat 1.db")
	s := openTest(t, path)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %q: %v", path, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("created directory has mode %v, want no group or other access", perm)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(t.Context(), p); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestStartSessionValidation(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "chat.db"))
	cases := []struct {
		name   string
		change func(*chat.Session, *chat.SealedMessage)
	}{
		{"empty session id", func(s *chat.Session, m *chat.SealedMessage) { s.ID = ""; m.SessionID = "" }},
		{"empty user id", func(s *chat.Session, _ *chat.SealedMessage) { s.UserID = "" }},
		{"ended status", func(s *chat.Session, _ *chat.SealedMessage) { s.Status = chat.StatusEnded }},
		{"first message in another session", func(_ *chat.Session, m *chat.SealedMessage) { m.SessionID = "other" }},
		{"empty message id", func(_ *chat.Session, m *chat.SealedMessage) { m.ID = "" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess, first := testSession("s-" + tc.name)
			tc.change(&sess, &first)
			_, err := s.StartSession(t.Context(), sess, first)
			if !errors.Is(err, chat.ErrInvalid) {
				t.Errorf("error %v, want chat.ErrInvalid", err)
			}
		})
	}

	// An empty first.SessionID means the session being started.
	sess, first := testSession("s-fill")
	first.SessionID = ""
	res, err := s.StartSession(t.Context(), sess, first)
	if err != nil || res.Message.SessionID != "s-fill" {
		t.Errorf("first message without session id: %v, session id %q", err, res.Message.SessionID)
	}

	// A clash of server-generated ids is a bug, reported as such, and the
	// transaction leaves nothing behind.
	again, first2 := testSession("s-fill")
	first2.ID, first2.ClientMsgID = "fresh", "fresh"
	if _, err := s.StartSession(t.Context(), again, first2); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("reused session id: error %v, want chat.ErrInvalid", err)
	}
	other, clash := testSession("s-other")
	clash.ID = first.ID
	if _, err := s.StartSession(t.Context(), other, clash); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("reused message id: error %v, want chat.ErrInvalid", err)
	}
	if _, err := s.GetSession(t.Context(), "s-other"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("session of a failed start: %v, want chat.ErrNotFound", err)
	}
}

func TestAppendMessageIDClashRollsBack(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "chat.db"))
	sess, first := testSession("s1")
	if _, err := s.StartSession(t.Context(), sess, first); err != nil {
		t.Fatal(err)
	}
	clash := first
	clash.ClientMsgID = "another"
	if _, err := s.AppendMessage(t.Context(), clash); !errors.Is(err, chat.ErrInvalid) {
		t.Fatalf("append with a reused message id: %v, want chat.ErrInvalid", err)
	}
	got, err := s.GetSession(t.Context(), "s1")
	if err != nil || got.LastSeq != 1 {
		t.Errorf("after a failed append: LastSeq %d, %v; want 1 (the seq must not be lost)", got.LastSeq, err)
	}
}

// TestQueryPlans checks that the hot queries are index lookups, not table
// scans: a scan works on a small test database and is slow only in
// production.
func TestQueryPlans(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "chat.db"))
	listing := func(q chat.SessionQuery) string {
		query, _, err := listSessionsSQL(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		return query
	}
	cursor := encodeCursor(cursor{createdAt: 1, id: "x"})
	cases := []struct {
		name, query, index string
	}{
		{"duplicate lookup", dupQuery, "messages_by_author_client_msg"},
		{"list messages", listMessagesQuery, "messages_by_session_seq"},
		{"list sessions", listing(chat.SessionQuery{UserID: "u"}), "sessions_by_user_created"},
		{"list sessions after cursor", listing(chat.SessionQuery{UserID: "u", Cursor: cursor}), "sessions_by_user_created"},
		{"admin: every session", listing(chat.SessionQuery{}), "sessions_by_created"},
		{"admin: every session after cursor", listing(chat.SessionQuery{Cursor: cursor}), "sessions_by_created"},
	}
	for _, tc := range cases {
		// The plan does not depend on the values bound, only on their count.
		args := make([]any, strings.Count(tc.query, "?"))
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "INDEX "+tc.index) || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want a walk of index %s without sorting", tc.name, joined, tc.index)
		}
	}
}

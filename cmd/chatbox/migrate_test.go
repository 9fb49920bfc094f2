package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// sessionsOf returns the user's sessions as the REST API lists them.
func (s *testServer) sessionsOf(user string) []map[string]any {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+userToken(s.t, user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET /sessions: %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		s.t.Fatal(err)
	}
	return body.Sessions
}

// endSession ends a session through the REST API.
func (s *testServer) endSession(user, sessionID string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/sessions/"+sessionID+"/end", nil)
	req.Header.Set("Authorization", "Bearer "+userToken(s.t, user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("end session: %d", resp.StatusCode)
	}
}

// TestMigrateSQLiteToMongo is the move from the embedded default to
// MongoDB: a copy cut off half way, finished by running the command again,
// then a server on MongoDB serving the same history and sessions.
func TestMigrateSQLiteToMongo(t *testing.T) {
	from := useStorage(t, "sqlite")
	t.Setenv("ENCRYPTION_KEY", testKey("A"))
	srv := startServer(t)
	convs := writeConversations(t, srv)
	srv.endSession(convs[1].user, convs[1].session)
	want := map[string][]map[string]any{}
	for _, c := range convs {
		want[c.user] = srv.sessionsOf(c.user)
	}
	srv.stop()
	to := mongotest.NewTarget(t).URI("migrated")

	// A first run that stopped after two messages of the first session.
	src, err := openStore(t.Context(), from)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := openStore(t.Context(), to)
	if err != nil {
		t.Fatal(err)
	}
	first, err := src.ScanSessions(t.Context(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := src.ListMessages(t.Context(), first[0].ID, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ImportSession(t.Context(), first[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ImportMessages(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	_ = src.Close()
	_ = dst.Close()

	out, errOut, err := runCommand(t, "migrate", "--from", from, "--to", to, "--batch", "1")
	if err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(out, "migrate: done: 2 sessions (2 copied, 0 already complete), 6 messages copied") {
		t.Fatalf("migrate output:\n%s", out)
	}
	if strings.Contains(out, "127.0.0.1") {
		t.Errorf("output names the MongoDB URI, which may hold a password:\n%s", out)
	}
	out, _, err = runCommand(t, "migrate", "--from", from, "--to", to)
	if err != nil || !strings.Contains(out, "migrate: done: 2 sessions (0 copied, 2 already complete), 0 messages copied") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}

	t.Setenv("MONGO_URI", to)
	srv = startServer(t)
	for _, c := range convs {
		if got := srv.sessionsOf(c.user); !reflect.DeepEqual(got, want[c.user]) {
			t.Errorf("sessions of %s on MongoDB:\n%v\nwant, as on SQLite:\n%v", c.user, got, want[c.user])
		}
	}
	srv.stop()
	checkReadable(t, convs)
	// The migrated session carries on.
	srv = startServer(t)
	srv.say(convs[0].user, convs[0].session, "alice-3", "on MongoDB now")
	if code, msgs := srv.history(convs[0].user, convs[0].session); code != http.StatusOK || len(msgs) != 6 || msgs[5].Seq != 6 {
		t.Fatalf("after migration: %d, %d messages, want 6", code, len(msgs))
	}
}

func TestMigrateArguments(t *testing.T) {
	path := t.TempDir() + "/chat.db"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"migrate"}, "--from and --to are required"},
		{[]string{"migrate", "--from", "sqlite://" + path}, "--from and --to are required"},
		{[]string{"migrate", "--from", "sqlite://" + path, "--to", "sqlite://" + path}, "the same storage"},
		{[]string{"migrate", "--from", "postgres://db/chat", "--to", "sqlite://" + path}, "a storage URL is sqlite://PATH or mongodb://"},
		{[]string{"migrate", "--from", "sqlite://", "--to", "sqlite://" + path}, "needs a database path"},
		{[]string{"migrate", "--from", "sqlite://" + path, "--to", "mongodb://user:hunter2@127.0.0.1:1/chat?serverSelectionTimeoutMS=100"}, "MongoDB database chat: MongoDB does not answer"},
	}
	for _, tt := range tests {
		_, _, err := runCommand(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: the error shows the password: %v", tt.args, err)
		}
	}
}

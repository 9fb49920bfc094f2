package server

import (
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/bus"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// lifecycleCluster starts n instances sharing one database and one NATS
// server, with extra settings. The database is a SQLite file (its path is
// returned) or, with storage "mongodb", an embedded FerretDB (path ""). The
// sweep interval is a day, so no sweep runs by itself during a test: tests
// call the sweeps directly.
func lifecycleCluster(t *testing.T, storage string, n int, llmURL string, extra map[string]string) ([]*instance, string) {
	t.Helper()
	nats, err := bus.StartEmbedded(bus.EmbeddedOptions{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nats.Shutdown)
	dir := t.TempDir()
	env := map[string]string{"NATS_URL": nats.ClientURL(), "LIFECYCLE_SWEEP_INTERVAL": "24h"}
	db := ""
	if storage == "mongodb" {
		env["MONGO_URI"] = mongotest.Start(t).URI("chat")
	} else {
		db = filepath.Join(dir, "shared.db")
		env["SQLITE_PATH"] = db
	}
	for k, v := range extra {
		env[k] = v
	}
	var out []*instance
	for range n {
		out = append(out, start(t, testEnv(dir, llmURL, env)))
	}
	return out, db
}

// storages are the adapters the cluster tests run on.
var storages = []string{"sqlite", "mongodb"}

// TestIdleExpiryAcrossInstances: with two instances sweeping at once, an
// idle session is ended exactly once (the idle counters of both sum to 1),
// its user sees it end, gets session_ended when writing to it, and starts
// a new session with the next message.
func TestIdleExpiryAcrossInstances(t *testing.T) {
	for _, storage := range storages {
		t.Run(storage, func(t *testing.T) { testIdleExpiryAcrossInstances(t, storage) })
	}
}

func testIdleExpiryAcrossInstances(t *testing.T, storage string) {
	llm := fakeLLM(t)
	nodes, _ := lifecycleCluster(t, storage, 2, llm.URL, map[string]string{"SESSION_IDLE_TIMEOUT": "1ms"})
	user := nodes[0].dial("iris")
	sid := user.ask("", "i1", "hello").str("session_id")
	_, final := user.reply()
	// Idle means a millisecond without activity; make sure one has passed.
	last, err := time.Parse(time.RFC3339Nano, final.str("created_at"))
	if err != nil {
		t.Fatal(err)
	}
	for time.Since(last) < 5*time.Millisecond {
		time.Sleep(time.Millisecond)
	}

	ended := make([]int, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			var err error
			if ended[i], err = n.app.Lifecycle().ExpireIdle(t.Context()); err != nil {
				t.Errorf("instance %d: ExpireIdle: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ended[0]+ended[1] != 1 {
		t.Errorf("instances ended %v sessions, want 1 in all", ended)
	}
	idle := `chatbox_sessions_ended_total{reason="idle"}`
	if sum := metricValue(t, nodes[0], idle) + metricValue(t, nodes[1], idle); sum != 1 {
		t.Errorf("%s summed over instances = %d, want 1", idle, sum)
	}
	status, _ := user.until("session_status", func(f frame) bool { return f.str("session_id") == sid })
	if status.str("status") != "ended" || status.str("end_reason") != "idle" {
		t.Errorf("session_status after expiry: %v, want ended for reason idle", status)
	}
	user.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "i2", "content": "still there?"})
	if f, _ := user.until("error", nil); f.str("code") != "session_ended" {
		t.Errorf("writing to the expired session: %v, want session_ended", f)
	}
	if next := user.ask("", "i3", "new question").str("session_id"); next == "" || next == sid {
		t.Errorf("a new message after expiry went to session %q, want a new session", next)
	}
}

// TestExportMatchesWhatTheUserSaw: GET /me/export returns exactly the
// messages the user received over the WebSocket, decrypted, session by
// session; an admin's export of the same user (on another instance) is the
// same and is recorded in the audit log; users cannot use the admin form.
func TestExportMatchesWhatTheUserSaw(t *testing.T) {
	for _, storage := range storages {
		t.Run(storage, func(t *testing.T) { testExportMatchesWhatTheUserSaw(t, storage) })
	}
}

func testExportMatchesWhatTheUserSaw(t *testing.T, storage string) {
	llm := fakeLLM(t)
	nodes, _ := lifecycleCluster(t, storage, 2, llm.URL, nil)
	user := nodes[0].dial("elena")
	seen := map[string][]map[string]any{} // session id -> message frames, in seq order
	record := func(f frame) {
		m := map[string]any{}
		for k, v := range f {
			if k != "type" {
				m[k] = v
			}
		}
		seen[f.str("session_id")] = append(seen[f.str("session_id")], m)
	}
	for i, question := range []string{"first question", "second question"} {
		ack := user.ask("", "e"+string(rune('a'+i)), question)
		record(ack)
		_, reply := user.reply()
		record(reply)
		sid := ack.str("session_id")
		follow := user.ask(sid, "f"+string(rune('a'+i)), "and a follow-up")
		record(follow)
		_, reply = user.reply()
		record(reply)
	}

	var export exportDoc
	if code := getJSON(t, nodes[0].baseURL+"/me/export", token(t, "elena", time.Hour), &export); code != http.StatusOK {
		t.Fatalf("GET /me/export: %d", code)
	}
	checkExport(t, "own export", export, "elena", seen)

	var byAdmin exportDoc
	if code := getJSON(t, nodes[1].baseURL+"/admin/users/elena/export", adminToken(t, "audrey"), &byAdmin); code != http.StatusOK {
		t.Fatalf("GET /admin/users/elena/export: %d", code)
	}
	checkExport(t, "admin export", byAdmin, "elena", seen)
	var audit struct {
		Entries []map[string]any `json:"entries"`
	}
	getJSON(t, nodes[0].baseURL+"/admin/audit?action=export", adminToken(t, "audrey"), &audit)
	if len(audit.Entries) != 1 || audit.Entries[0]["actor_id"] != "audrey" || audit.Entries[0]["detail"] != "user_id=elena" {
		t.Errorf("audit entries of the export: %v, want one by audrey naming elena", audit.Entries)
	}
	if code := getJSON(t, nodes[0].baseURL+"/admin/users/elena/export", token(t, "mallory", time.Hour), nil); code != http.StatusForbidden {
		t.Errorf("a user on the admin export route: %d, want 403", code)
	}
}

// exportDoc is the JSON document of an export.
type exportDoc struct {
	UserID   string `json:"user_id"`
	Sessions []struct {
		Session  map[string]any   `json:"session"`
		Messages []map[string]any `json:"messages"`
	} `json:"sessions"`
	Complete bool `json:"complete"`
}

func checkExport(t *testing.T, what string, got exportDoc, user string, seen map[string][]map[string]any) {
	t.Helper()
	if got.UserID != user || !got.Complete || len(got.Sessions) != len(seen) {
		t.Fatalf("%s: user %q, complete %v, %d sessions; want %q, true, %d", what, got.UserID, got.Complete, len(got.Sessions), user, len(seen))
	}
	for _, s := range got.Sessions {
		sid, _ := s.Session["session_id"].(string)
		if !reflect.DeepEqual(s.Messages, seen[sid]) {
			t.Errorf("%s: session %s exported\n%v\nwant what the user saw\n%v", what, sid, s.Messages, seen[sid])
		}
	}
}

// TestDeleteUserLeavesNoTrace: DELETE /me (confirmed) closes the user's
// sockets on every instance with 4002, and afterwards no row of the shared
// database, read directly, mentions the user or their sessions: sessions,
// messages, queued notifications, rate limits. The erasure is audited
// without content. An admin erases another user the same way.
func TestDeleteUserLeavesNoTrace(t *testing.T) {
	llm := fakeLLM(t)
	nodes, db := lifecycleCluster(t, "sqlite", 2, llm.URL, nil)
	a, b := nodes[0], nodes[1]
	onA, onB := a.dial("dora"), b.dial("dora")
	sid := onA.ask("", "d1", "my secret order number is 4711").str("session_id")
	onA.reply()
	onA.send(map[string]any{"type": "help_request", "session_id": sid, "client_msg_id": "d2", "content": "a human please"})
	onA.until("session_status", func(f frame) bool { return f["help_requested"] == true })
	tok := token(t, "dora", time.Hour)
	attached := upload(t, a, tok, "invoice.txt", "invoice 4711, Dora Example, 1 Main St")
	upload(t, b, tok, "draft.txt", "never sent") // unsent: erased with the user, not a session
	onA.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "d3",
		"content": "see attached", "attachments": []string{attached}})
	onA.until("message", func(f frame) bool { return f.str("client_msg_id") == "d3" })
	blobDir := filepath.Join(filepath.Dir(db), "uploads")
	if filesUnder(t, blobDir) != 2 {
		t.Fatalf("%d uploaded files stored under %s, want 2", filesUnder(t, blobDir), blobDir)
	}
	other := a.dial("otto")
	otherSID := other.ask("", "o1", "hello").str("session_id")
	other.reply()
	if len(rowsMentioning(t, db, "dora", sid)) == 0 {
		t.Fatal("nothing stored for dora before the erasure")
	}

	if code := doJSON(t, http.MethodDelete, b.baseURL+"/me", tok, nil); code != http.StatusBadRequest {
		t.Errorf("DELETE /me without confirm: %d, want 400", code)
	}
	var res struct {
		SessionsDeleted int `json:"sessions_deleted"`
	}
	if code := doJSON(t, http.MethodDelete, b.baseURL+"/me?confirm=delete-all-my-data", tok, &res); code != http.StatusOK || res.SessionsDeleted != 1 {
		t.Fatalf("DELETE /me: %d, %d sessions deleted; want 200, 1", code, res.SessionsDeleted)
	}
	for name, c := range map[string]*client{"instance A": onA, "instance B": onB} {
		if code := c.closeCode(); code != 4002 {
			t.Errorf("socket on %s closed with %d, want 4002", name, code)
		}
	}
	if rows := rowsMentioning(t, db, "dora", sid); len(rows) != 0 {
		t.Errorf("rows still mentioning dora or her session after the erasure:\n%s", strings.Join(rows, "\n"))
	}
	if n := filesUnder(t, blobDir); n != 0 {
		t.Errorf("%d uploaded files left under %s after the erasure", n, blobDir)
	}
	if len(rowsMentioning(t, db, otherSID)) == 0 {
		t.Error("another user's session was erased too")
	}
	var audit struct {
		Entries []map[string]any `json:"entries"`
	}
	getJSON(t, a.baseURL+"/admin/audit?action=delete_user", adminToken(t, "audrey"), &audit)
	if len(audit.Entries) != 1 || audit.Entries[0]["actor_id"] != "dora" || audit.Entries[0]["detail"] != "user_id=dora sessions=1" {
		t.Errorf("audit of the erasure: %v, want one entry by dora naming only ids and counts", audit.Entries)
	}

	if code := doJSON(t, http.MethodDelete, a.baseURL+"/admin/users/otto", token(t, "mallory", time.Hour), nil); code != http.StatusForbidden {
		t.Errorf("a user on the admin erasure route: %d, want 403", code)
	}
	if code := doJSON(t, http.MethodDelete, a.baseURL+"/admin/users/otto", adminToken(t, "audrey"), &res); code != http.StatusOK || res.SessionsDeleted != 1 {
		t.Errorf("admin erasure of otto: %d, %d sessions; want 200, 1", code, res.SessionsDeleted)
	}
	if code := other.closeCode(); code != 4002 {
		t.Errorf("otto's socket closed with %d, want 4002", code)
	}
	if rows := rowsMentioning(t, db, otherSID); len(rows) != 0 {
		t.Errorf("rows still mentioning otto's session:\n%s", strings.Join(rows, "\n"))
	}
}

// upload stores a text file as the token's user and returns its file id.
func upload(t *testing.T, in *instance, tok, name, content string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.baseURL+"/uploads?name="+name, strings.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		FileID string `json:"file_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s: %d, %v", name, resp.StatusCode, err)
	}
	return out.FileID
}

// filesUnder counts the regular files under dir (none if it is missing).
func filesUnder(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// rowsMentioning opens the SQLite file on its own and returns the rows
// (table and values) of every table that contain any of the needles, except two kept on purpose:
// the audit log (ids and actions, never content: it records the erasure
// itself) and the per-user daily token totals (counts only, needed to
// enforce LLM_DAILY_TOKEN_BUDGET).
func rowsMentioning(t *testing.T, path string, needles ...string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('audit', 'user_usage')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var found []string
	for _, table := range tables {
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
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
			text, _ := json.Marshal(vals)
			for _, n := range needles {
				if strings.Contains(string(text), n) {
					found = append(found, table+": "+string(text))
					break
				}
			}
		}
		rows.Close()
	}
	return found
}

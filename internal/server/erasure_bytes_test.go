package server

import (
	"bytes"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestDeleteUserLeavesNoBytes: after DELETE /me nothing of the erased
// user's sessions can be recovered from the SQLite files themselves, not
// just from queries: neither the session id, nor a message id, nor any
// stretch of a stored ciphertext, nor an upload's id or name appears in
// the bytes of the database, its write-ahead log or its shared-memory
// index. (SQLite without secure_delete leaves deleted rows in place until
// a later write happens to reuse their space.)
func TestDeleteUserLeavesNoBytes(t *testing.T) {
	llm := fakeLLM(t)
	nodes, db := lifecycleCluster(t, "sqlite", 1, llm.URL, nil)
	a := nodes[0]
	c := a.dial("hedy")
	sid := c.ask("", "h1", "my account number is DE89 3704 0044 0532 0130 00").str("session_id")
	c.reply()
	tok := token(t, "hedy", time.Hour)
	attached := upload(t, a, tok, "hedy-payslip-march.txt", "gross 5120.00")
	draft := upload(t, a, tok, "hedy-unsent-letter.txt", "never sent")
	c.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "h2",
		"content": "see attached", "attachments": []string{attached}})
	c.until("message", func(f frame) bool { return f.str("client_msg_id") == "h2" })
	c.reply()

	needles := map[string][]byte{
		"session id":         []byte(sid),
		"attached file id":   []byte(attached),
		"unsent file id":     []byte(draft),
		"attached file name": []byte("hedy-payslip-march"),
		"unsent file name":   []byte("hedy-unsent-letter"),
	}
	msgs, err := a.app.repo.ListMessages(t.Context(), sid, 0, 100)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("stored messages: %d, %v; want 4", len(msgs), err)
	}
	for _, m := range msgs {
		needles["message id "+m.ID] = []byte(m.ID)
		// Any 16 bytes of ciphertext are as good as a fingerprint.
		mid := len(m.Sealed) / 2
		needles["ciphertext of "+m.ID] = m.Sealed[mid-8 : mid+8]
	}
	files := []string{db, db + "-wal", db + "-shm"}
	found := func() []string {
		var out []string
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for what, needle := range needles {
				if bytes.Contains(data, needle) {
					out = append(out, what+" in "+f)
				}
			}
		}
		return out
	}
	if len(found()) == 0 {
		t.Fatal("the needles are not in the files before the erasure: the test would prove nothing")
	}

	var res struct {
		SessionsDeleted int `json:"sessions_deleted"`
	}
	if code := doJSON(t, http.MethodDelete, a.baseURL+"/me?confirm=delete-all-my-data", tok, &res); code != http.StatusOK || res.SessionsDeleted != 1 {
		t.Fatalf("DELETE /me: %d, %d sessions deleted; want 200, 1", code, res.SessionsDeleted)
	}
	if left := found(); len(left) != 0 {
		t.Errorf("erased data still in the database files:\n%v", left)
	}
}

package main

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/crypto"
)

// conversation is what a test wrote and expects to read back.
type conversation struct {
	user, session string
	contents      []string // every message's content, in seq order
}

// writeConversations has two users talk to the demo model, two messages
// each, and returns what was stored.
func writeConversations(t *testing.T, srv *testServer) []conversation {
	t.Helper()
	var out []conversation
	for _, user := range []string{"alice", "bob"} {
		sid := srv.say(user, "", user+"-1", "hello from "+user)
		srv.say(user, sid, user+"-2", "second question from "+user)
		code, msgs := srv.history(user, sid)
		if code != http.StatusOK || len(msgs) != 4 {
			t.Fatalf("history of %s: %d, %d messages; want 4", user, code, len(msgs))
		}
		c := conversation{user: user, session: sid}
		c.contents = contentsOf(t, srv, c)
		out = append(out, c)
	}
	return out
}

// contentsOf reads a conversation's contents back, in seq order.
func contentsOf(t *testing.T, srv *testServer, c conversation) []string {
	t.Helper()
	code, msgs := srv.history(c.user, c.session)
	if code != http.StatusOK {
		t.Fatalf("history of %s: status %d", c.session, code)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Content)
	}
	return out
}

// checkReadable fails the test unless a server on the current environment
// returns every conversation exactly as written.
func checkReadable(t *testing.T, convs []conversation) {
	t.Helper()
	srv := startServer(t)
	defer srv.stop()
	for _, c := range convs {
		if got := contentsOf(t, srv, c); !slices.Equal(got, c.contents) {
			t.Fatalf("history of %s = %q, want %q", c.session, got, c.contents)
		}
	}
}

// sealedKeyIDs returns the key id of every stored message.
func sealedKeyIDs(t *testing.T, url string) map[string]int {
	t.Helper()
	store, err := openStore(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ids := map[string]int{}
	sessions, err := store.ScanSessions(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		msgs, err := store.ListMessages(t.Context(), s.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			id, err := crypto.SealedKeyID(m.Sealed)
			if err != nil {
				t.Fatalf("message %s: %v", m.ID, err)
			}
			ids[id]++
		}
	}
	return ids
}

func keyID(t *testing.T, name string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(testKey(name))
	if err != nil {
		t.Fatal(err)
	}
	return crypto.KeyID(key)
}

// runCommand runs chatbox with args and returns its output.
func runCommand(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(args, &out, &errb)
	return out.String(), errb.String(), err
}

// TestRotation is the key rotation of KEY_MANAGEMENT.md: history written
// under key A, rotation to B with A kept for reading, rekey, then A
// removed: everything is still readable, and at no point is a message
// shown that no configured key opens.
func TestRotation(t *testing.T) {
	for _, kind := range storageKinds() {
		t.Run(kind, func(t *testing.T) {
			url := useStorage(t, kind)
			t.Setenv("ENCRYPTION_KEY", testKey("A"))
			srv := startServer(t)
			convs := writeConversations(t, srv)
			srv.stop()

			// Rotating without keeping A makes history unreadable, and it
			// says so instead of showing ciphertext.
			t.Setenv("ENCRYPTION_KEY", testKey("B"))
			t.Setenv("ENCRYPTION_KEYS_OLD", "")
			srv = startServer(t)
			if code, msgs := srv.history(convs[0].user, convs[0].session); code == http.StatusOK {
				t.Fatalf("history with key A missing: 200 %v, want an error", msgs)
			}
			srv.stop()

			// Rotate properly: B current, A old. Old history reads, and new
			// messages are sealed with B.
			t.Setenv("ENCRYPTION_KEYS_OLD", testKey("A"))
			srv = startServer(t)
			srv.say(convs[0].user, convs[0].session, "alice-3", "after rotation")
			convs[0].contents = contentsOf(t, srv, convs[0])
			srv.stop()
			if ids := sealedKeyIDs(t, url); ids[keyID(t, "A")] != 8 || ids[keyID(t, "B")] != 2 {
				t.Fatalf("before rekey: key ids %v, want 8 under A and 2 under B", ids)
			}

			out, errOut, err := runCommand(t, "rekey", "--batch", "1")
			if err != nil {
				t.Fatalf("rekey: %v\n%s%s", err, out, errOut)
			}
			if !strings.Contains(out, "resume with --after") || !strings.Contains(out, "rekey: done: 2 sessions, 10 messages: 8 re-encrypted, 2 already current") {
				t.Fatalf("rekey output:\n%s", out)
			}
			if ids := sealedKeyIDs(t, url); ids[keyID(t, "B")] != 10 || len(ids) != 1 {
				t.Fatalf("after rekey: key ids %v, want all 10 under B", ids)
			}

			// Running it again finds nothing to do.
			out, _, err = runCommand(t, "rekey")
			if err != nil || !strings.Contains(out, "0 re-encrypted, 10 already current") {
				t.Fatalf("second rekey: %v\n%s", err, out)
			}

			// A is gone: everything is still readable.
			t.Setenv("ENCRYPTION_KEYS_OLD", "")
			checkReadable(t, convs)
		})
	}
}

// TestRekeyLeavesUnreadableAlone: messages no configured key opens are
// reported, left as they are, and fail the run; the others are rekeyed.
func TestRekeyLeavesUnreadableAlone(t *testing.T) {
	url := useStorage(t, "sqlite")
	t.Setenv("ENCRYPTION_KEY", testKey("lost"))
	srv := startServer(t)
	srv.say("carol", "", "c-1", "sealed with a key that will be lost")
	srv.stop()
	t.Setenv("ENCRYPTION_KEY", testKey("A"))
	srv = startServer(t)
	srv.say("dave", "", "d-1", "sealed with A")
	srv.stop()

	t.Setenv("ENCRYPTION_KEY", testKey("B"))
	t.Setenv("ENCRYPTION_KEYS_OLD", testKey("A"))
	out, errOut, err := runCommand(t, "rekey")
	if err == nil || !strings.Contains(err.Error(), "2 messages could not be opened") {
		t.Fatalf("rekey with a key missing: %v, want an error counting 2 unreadable messages\n%s", err, out)
	}
	if strings.Count(errOut, "rekey: unreadable:") != 2 || !strings.Contains(errOut, "unknown key id "+keyID(t, "lost")) {
		t.Errorf("stderr does not name each unreadable message and its key:\n%s", errOut)
	}
	if !strings.Contains(out, "2 re-encrypted") {
		t.Errorf("the readable messages were not rekeyed:\n%s", out)
	}
	if ids := sealedKeyIDs(t, url); ids[keyID(t, "lost")] != 2 || ids[keyID(t, "B")] != 2 {
		t.Errorf("key ids after rekey %v, want 2 left under the lost key and 2 under B", ids)
	}
}

// TestRekeyResumesAfter: --after skips the sessions a progress line
// reported done.
func TestRekeyResumesAfter(t *testing.T) {
	url := useStorage(t, "sqlite")
	t.Setenv("ENCRYPTION_KEY", testKey("A"))
	srv := startServer(t)
	ids := []string{srv.say("erin", "", "e-1", "one"), srv.say("frank", "", "f-1", "two")}
	srv.stop()
	slices.Sort(ids)

	t.Setenv("ENCRYPTION_KEY", testKey("B"))
	t.Setenv("ENCRYPTION_KEYS_OLD", testKey("A"))
	out, _, err := runCommand(t, "rekey", "--after", ids[0])
	if err != nil || !strings.Contains(out, "rekey: done: 1 sessions, 2 messages: 2 re-encrypted") {
		t.Fatalf("rekey --after the first session: %v\n%s", err, out)
	}
	if got := sealedKeyIDs(t, url); got[keyID(t, "A")] != 2 || got[keyID(t, "B")] != 2 {
		t.Fatalf("key ids %v, want the first session still under A, the second under B", got)
	}
}

func TestRekeyArguments(t *testing.T) {
	useStorage(t, "sqlite")
	t.Setenv("ENCRYPTION_KEY", testKey("A"))
	if _, _, err := runCommand(t, "rekey", "--batch", "0"); err == nil || !strings.Contains(err.Error(), "--batch") {
		t.Errorf("rekey --batch 0: %v, want an error naming --batch", err)
	}
}

package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestBadInputGetsAClearErrorAndKeepsTheConnection covers every kind of bad
// frame: each gets an error frame on the offending connection, which then
// keeps working.
func TestBadInputGetsAClearErrorAndKeepsTheConnection(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	c := srv.dial("carol")
	tests := []struct {
		name string
		kind int
		data string
		code string
		ref  string
	}{
		{"not JSON", websocket.TextMessage, `{"type":`, "invalid_message", ""},
		{"two objects", websocket.TextMessage, `{"type":"ping"}{"type":"ping"}`, "invalid_message", ""},
		{"JSON but not an object", websocket.TextMessage, `["ping"]`, "invalid_message", ""},
		{"missing type", websocket.TextMessage, `{"content":"hi"}`, "invalid_message", ""},
		{"unknown type", websocket.TextMessage, `{"type":"launch_missiles"}`, "unknown_type", ""},
		{"binary frame", websocket.BinaryMessage, `{"type":"ping"}`, "invalid_message", ""},
		{"invalid UTF-8", websocket.TextMessage, "{\"type\":\"user_message\",\"client_msg_id\":\"u1\",\"content\":\"\xff\xfe\"}", "invalid_message", ""},
		{"NUL byte", websocket.TextMessage, `{"type":"user_message","client_msg_id":"u2","content":"a\u0000b"}`, "invalid_message", "u2"},
		{"missing client_msg_id", websocket.TextMessage, `{"type":"user_message","content":"hi"}`, "invalid_message", ""},
		{"missing content", websocket.TextMessage, `{"type":"user_message","client_msg_id":"u3"}`, "invalid_message", "u3"},
		{"blank content", websocket.TextMessage, `{"type":"user_message","client_msg_id":"u4","content":"   "}`, "invalid_message", "u4"},
		{"content over 32 KiB", websocket.TextMessage, `{"type":"user_message","client_msg_id":"u5","content":"` + strings.Repeat("x", 33<<10) + `"}`, "too_large", "u5"},
		{"unknown model", websocket.TextMessage, `{"type":"user_message","client_msg_id":"u6","content":"hi","model_id":"nope"}`, "invalid_message", "u6"},
		{"unknown session", websocket.TextMessage, `{"type":"user_message","session_id":"nope","client_msg_id":"u7","content":"hi"}`, "not_found", "u7"},
		{"resume without session", websocket.TextMessage, `{"type":"resume"}`, "invalid_message", ""},
		{"negative last_seq", websocket.TextMessage, `{"type":"resume","session_id":"x","last_seq":-1}`, "invalid_message", ""},
		{"last_seq of the wrong type", websocket.TextMessage, `{"type":"resume","session_id":"x","last_seq":"7"}`, "invalid_message", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.sendRaw(tt.kind, []byte(tt.data))
			f := c.read()
			if f.str("type") != "error" || f.str("code") != tt.code || f["recoverable"] != true || f.str("ref") != tt.ref {
				t.Fatalf("got %v, want a recoverable error %q with ref %q", f, tt.code, tt.ref)
			}
			c.send(map[string]any{"type": "ping"})
			if f := c.read(); f.str("type") != "pong" {
				t.Fatalf("after the error the connection answered %v, want pong", f)
			}
		})
	}
	var list struct{ Sessions []map[string]any }
	getJSON(t, srv.baseURL+"/sessions", token(t, "carol", time.Minute), &list)
	if len(list.Sessions) != 0 {
		t.Fatalf("bad input created %d sessions", len(list.Sessions))
	}
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"WS_MAX_MESSAGE_BYTES": "4096"}))
	c := srv.dial("dave")
	c.sendRaw(websocket.TextMessage, []byte(`{"type":"user_message","content":"`+strings.Repeat("x", 5000)+`"}`))
	if code := c.closeCode(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}
	// The server is unharmed.
	srv.dial("dave").send(map[string]any{"type": "ping"})
}

func TestRateLimit(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{
		"RATE_LIMIT_MESSAGES_PER_MINUTE": "1", "RATE_LIMIT_BURST": "2",
	}))
	c := srv.dial("erin")
	sid := c.ask("", "r1", "one").str("session_id")
	c.ask(sid, "r2", "two")
	c.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "r3", "content": "three"})
	f, _ := c.until("error", nil)
	if f.str("code") != "rate_limited" || f.num("retry_after_ms") <= 0 || f.str("ref") != "r3" {
		t.Fatalf("third message: %v, want rate_limited with retry_after_ms and ref r3", f)
	}
	// The limit is per user: a second connection shares it.
	c2 := srv.dial("erin")
	c2.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": "r4", "content": "four"})
	if f, _ := c2.until("error", nil); f.str("code") != "rate_limited" {
		t.Fatalf("other connection of the same user: %v, want rate_limited", f)
	}
	// Another user is not affected.
	srv.dial("frank").ask("", "f1", "hello")
}

func TestUpgradeChecks(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{
		"WS_ALLOWED_ORIGINS":          "https://chat.example.com",
		"WS_MAX_CONNECTIONS_PER_USER": "2",
	}))
	valid := token(t, "gina", time.Hour)
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }

	t.Run("origin", func(t *testing.T) {
		if _, resp, err := srv.tryDial(valid, origin("https://evil.example.com")); err == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: err=%v resp=%v, want 403", err, resp)
		}
		if _, _, err := srv.tryDial(valid, origin("https://chat.example.com")); err != nil {
			t.Fatalf("allowed origin refused: %v", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		for name, tok := range map[string]string{
			"missing": "",
			"garbage": "not-a-jwt",
			"expired": token(t, "gina", -time.Hour),
		} {
			if _, resp, err := srv.tryDial(tok, origin("https://chat.example.com")); err == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s token: err=%v resp=%v, want 401", name, err, resp)
			}
		}
	})
	t.Run("connection cap releases slots", func(t *testing.T) {
		h := origin("https://chat.example.com")
		second, _, err := srv.tryDial(valid, h) // the origin subtest holds the first
		if err != nil {
			t.Fatal(err)
		}
		if _, resp, err := srv.tryDial(valid, h); err == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("third connection: err=%v resp=%v, want 429", err, resp)
		}
		// Failed upgrades must not leak slots: closing one frees exactly one.
		_ = second.conn.Close()
		deadline := time.Now().Add(waitLimit)
		for {
			c, _, err := srv.tryDial(valid, h)
			if err == nil {
				_ = c.conn.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("slot not released after a connection closed")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestExpiredTokenClosesOpenSocket(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"JWT_LEEWAY": "1ms"}))
	c, _, err := srv.tryDial(token(t, "hank", 1500*time.Millisecond), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := c.closeCode(); code != 4001 {
		t.Fatalf("close code %d, want 4001 when the token expires", code)
	}
}

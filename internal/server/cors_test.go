package server

import (
	"net/http"
	"testing"
)

// TestCORS: with CORS_ALLOWED_ORIGINS set, a preflight from an allowed
// origin gets the documented headers and other origins get none; with it
// empty, no CORS headers at all.
func TestCORS(t *testing.T) {
	llm := fakeLLM(t)
	preflight := func(in *instance, origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, in.baseURL+"/admin/sessions", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	with := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"CORS_ALLOWED_ORIGINS": "https://admin.example.com"}))
	h := preflight(with, "https://admin.example.com")
	if h.Get("Access-Control-Allow-Origin") != "https://admin.example.com" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Max-Age") != "43200" {
		t.Fatalf("allowed preflight headers %v", h)
	}
	if h := preflight(with, "https://evil.example.com"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a foreign origin got CORS headers %v", h)
	}
	without := start(t, testEnv(t.TempDir(), llm.URL, nil))
	if h := preflight(without, "https://admin.example.com"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS headers with CORS_ALLOWED_ORIGINS empty: %v", h)
	}
}

// TestTyping: typing is relayed to the other side of the session and not
// stored.
func TestTyping(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	user := srv.dial("olga")
	sid := user.ask("", "o1", "hi").str("session_id")
	user.reply()
	admin := srv.dialAdmin("pete")
	admin.send(map[string]any{"type": "watch", "session_id": sid, "last_seq": 2})
	admin.until("resumed", nil)
	user.send(map[string]any{"type": "typing", "session_id": sid})
	if f, _ := admin.until("typing", nil); f.str("sender") != "user" || f.str("session_id") != sid {
		t.Fatalf("admin saw %v", f)
	}
	admin.send(map[string]any{"type": "typing", "session_id": sid})
	if f, _ := admin.until("error", nil); f.str("code") != "conflict" {
		t.Fatalf("typing by a non-owning admin: %v, want conflict", f)
	}
}

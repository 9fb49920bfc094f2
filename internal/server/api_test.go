package server

import (
	"net/http"
	"testing"
	"time"
)

func TestSessionsAPI(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	c := srv.dial("kate")
	var ids []string
	for _, id := range []string{"k1", "k2", "k3"} {
		ids = append(ids, c.ask("", id, "question "+id).str("session_id"))
	}
	tok := token(t, "kate", time.Minute)

	t.Run("newest first with cursor pagination", func(t *testing.T) {
		var page struct {
			Sessions   []map[string]any
			NextCursor string `json:"next_cursor"`
		}
		getJSON(t, srv.baseURL+"/sessions?limit=2", tok, &page)
		if len(page.Sessions) != 2 || page.Sessions[0]["session_id"] != ids[2] || page.NextCursor == "" {
			t.Fatalf("first page = %+v, want the two newest and a cursor", page)
		}
		var next struct {
			Sessions   []map[string]any
			NextCursor string `json:"next_cursor"`
		}
		getJSON(t, srv.baseURL+"/sessions?limit=2&cursor="+page.NextCursor, tok, &next)
		if len(next.Sessions) != 1 || next.Sessions[0]["session_id"] != ids[0] || next.NextCursor != "" {
			t.Fatalf("second page = %+v, want the oldest and no cursor", next)
		}
	})

	t.Run("bad parameters are 400 with a JSON error", func(t *testing.T) {
		for _, q := range []string{"/sessions?limit=0", "/sessions?limit=abc", "/sessions?cursor=not-a-cursor", "/sessions/" + ids[0] + "/messages?after_seq=-1"} {
			var body struct {
				Error struct{ Code, Message string }
			}
			if code := getJSON(t, srv.baseURL+q, tok, &body); code != http.StatusBadRequest || body.Error.Code == "" {
				t.Errorf("GET %s: %d %+v, want 400 with an error code", q, code, body)
			}
		}
	})

	t.Run("no token is 401", func(t *testing.T) {
		if code := getJSON(t, srv.baseURL+"/sessions", "", nil); code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", code)
		}
	})

	t.Run("ending a session refuses further messages", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.baseURL+"/sessions/"+ids[0]+"/end", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("end: %v %v", err, resp)
		}
		resp.Body.Close()
		c.send(map[string]any{"type": "user_message", "session_id": ids[0], "client_msg_id": "k4", "content": "more"})
		// Ending may stop k1's reply still streaming, which reports an error
		// of its own; the answer to k4 is the one naming it.
		if f, _ := c.until("error", func(f frame) bool { return f.str("ref") == "k4" }); f.str("code") != "session_ended" {
			t.Fatalf("message to an ended session: %v, want session_ended", f)
		}
	})
}

func TestReadinessTellsTheTruthAboutStorage(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	if code := getJSON(t, srv.baseURL+"/readyz", "", nil); code != http.StatusOK {
		t.Fatalf("readyz = %d, want 200", code)
	}
	_ = srv.app.repo.Close() // storage goes away
	var body struct {
		Status string
		Checks map[string]string
	}
	if code := getJSON(t, srv.baseURL+"/readyz", "", &body); code != http.StatusServiceUnavailable || body.Checks["storage"] == "ok" {
		t.Fatalf("readyz with storage closed = %d %+v, want 503 naming storage", code, body)
	}
	if code := getJSON(t, srv.baseURL+"/healthz", "", nil); code != http.StatusOK {
		t.Fatalf("healthz = %d: liveness must not depend on storage", code)
	}
}

package server

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
)

// The adversarial tests attack a running server the way a hostile client
// would, each checking that the attack gets a clear refusal and that the
// victim (another user, or the server itself) is unaffected.
// docs/SECURITY.md lists them with their results.

// TestCrossUserAccessLearnsNothing: whatever mallory does with alice's
// session id, over REST or the WebSocket, she gets exactly the answer a
// session id that does not exist gets, so she cannot even tell that it
// exists; and alice's session and connection see nothing of it.
func TestCrossUserAccessLearnsNothing(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	alice := srv.dial("alice")
	sid := alice.ask("", "a1", "my private question").str("session_id")
	alice.reply()
	const ghost = "0193ffff-ffff-7fff-bfff-ffffffffffff" // no such session

	malloryTok := token(t, "mallory", time.Hour)
	t.Run("REST", func(t *testing.T) {
		for _, route := range []struct{ method, path string }{
			{http.MethodGet, "/sessions/%s/messages"},
			{http.MethodGet, "/sessions/%s/messages?after_seq=0&limit=500"},
			{http.MethodPost, "/sessions/%s/end"},
			{http.MethodGet, "/admin/sessions/%s/messages"},
			{http.MethodPost, "/admin/sessions/%s/takeover"},
			{http.MethodPost, "/admin/sessions/%s/release"},
		} {
			foreign, fcode := rawRequest(t, route.method, srv.baseURL+strings.Replace(route.path, "%s", sid, 1), malloryTok)
			missing, mcode := rawRequest(t, route.method, srv.baseURL+strings.Replace(route.path, "%s", ghost, 1), malloryTok)
			if fcode < 400 || fcode != mcode || !bytes.Equal(foreign, missing) {
				t.Errorf("%s %s: foreign session answered %d %s, missing one %d %s; want the same refusal",
					route.method, route.path, fcode, foreign, mcode, missing)
			}
		}
	})

	t.Run("WebSocket", func(t *testing.T) {
		mallory := srv.dial("mallory")
		for _, f := range []map[string]any{
			{"type": "resume", "session_id": "%s", "last_seq": 0},
			{"type": "user_message", "session_id": "%s", "client_msg_id": "m1", "content": "hi"},
			{"type": "end_session", "session_id": "%s"},
			{"type": "model_select", "session_id": "%s", "model_id": "fake"},
			{"type": "help_request", "session_id": "%s", "client_msg_id": "m2", "content": "a human please"},
			{"type": "typing", "session_id": "%s"},
			{"type": "watch", "session_id": "%s"},
			{"type": "takeover", "session_id": "%s"},
			{"type": "admin_message", "session_id": "%s", "client_msg_id": "m3", "content": "I am staff"},
		} {
			foreign := mallory.answersTo(withSession(f, sid), sid)
			missing := mallory.answersTo(withSession(f, ghost), ghost)
			if foreign != missing {
				t.Errorf("%s: foreign session answered %s, missing one %s; want the same", f["type"], foreign, missing)
			}
			if strings.Contains(foreign, "private") {
				t.Errorf("%s: the answer leaks content: %s", f["type"], foreign)
			}
		}
	})

	// Alice saw none of it: her next frame after a ping is the pong, and
	// her session holds exactly her question and its answer, still open.
	alice.send(map[string]any{"type": "ping"})
	if f := alice.read(); f.str("type") != "pong" {
		t.Fatalf("alice received %v from mallory's attempts, want nothing before her pong", f)
	}
	var msgs struct{ Messages []map[string]any }
	getJSON(t, srv.baseURL+"/sessions/"+sid+"/messages", token(t, "alice", time.Minute), &msgs)
	if len(msgs.Messages) != 2 || msgs.Messages[0]["sender"] != "user" || msgs.Messages[1]["sender"] != "ai" {
		t.Fatalf("alice's session after the attacks: %v, want her question and its answer only", msgs.Messages)
	}
	var list struct{ Sessions []map[string]any }
	getJSON(t, srv.baseURL+"/sessions", token(t, "alice", time.Minute), &list)
	if len(list.Sessions) != 1 || list.Sessions[0]["status"] == "ended" {
		t.Fatalf("alice's sessions after the attacks: %v, want one, not ended", list.Sessions)
	}
}

// withSession copies a frame template, putting sid where "%s" stands.
func withSession(f map[string]any, sid string) map[string]any {
	out := make(map[string]any, len(f))
	for k, v := range f {
		if v == "%s" {
			v = sid
		}
		out[k] = v
	}
	return out
}

// answersTo sends f, then a ping, and returns every frame the server sent
// before the pong, with sid replaced by a placeholder, as one string.
func (c *client) answersTo(f map[string]any, sid string) string {
	c.t.Helper()
	c.send(f)
	c.send(map[string]any{"type": "ping"})
	_, before := c.until("pong", nil)
	data, err := json.Marshal(before)
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.ReplaceAll(string(data), sid, "<session>")
}

// rawRequest sends an authenticated request and returns body and status.
func rawRequest(t *testing.T, method, url, tok string) ([]byte, int) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, resp.StatusCode
}

// TestForgedTokensAreRefused: every token not signed HS256 with the shared
// secret, or without a future exp, is refused at the WebSocket upgrade and
// on REST with 401, and the error does not say which check failed.
func TestForgedTokensAreRefused(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"JWT_LEEWAY": "0s"}))
	future := time.Now().Add(time.Hour).Unix()
	claims := jwt.MapClaims{"sub": "mallory", "exp": future, "roles": []string{"admin"}}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustMarshalPKIX(t, &rsaKey.PublicKey)})
	sign := func(m jwt.SigningMethod, c jwt.MapClaims, key any) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	secret := []byte(testSecret)
	valid := sign(jwt.SigningMethodHS256, claims, secret)
	parts := strings.Split(valid, ".")
	noneHeader := jwtSegment(`{"alg":"none","typ":"JWT"}`)

	forged := map[string]string{
		"alg none, no signature":         noneHeader + "." + parts[1] + ".",
		"alg none, the real signature":   noneHeader + "." + parts[1] + "." + parts[2],
		"HS384 with the right secret":    sign(jwt.SigningMethodHS384, claims, secret),
		"HS512 with the right secret":    sign(jwt.SigningMethodHS512, claims, secret),
		"HS256 with another secret":      sign(jwt.SigningMethodHS256, claims, []byte("another-secret-that-is-long-enough!!")),
		"RS256 with an attacker's key":   sign(jwt.SigningMethodRS256, claims, rsaKey),
		"HS256 keyed with an RSA public": sign(jwt.SigningMethodHS256, claims, publicPEM),
		"expired":                        sign(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "mallory", "exp": time.Now().Add(-time.Minute).Unix()}, secret),
		"no exp":                         sign(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "mallory"}, secret),
		"no subject":                     sign(jwt.SigningMethodHS256, jwt.MapClaims{"exp": future}, secret),
		"payload swapped, old signature": parts[0] + "." + jwtSegment(`{"sub":"alice","exp":9999999999,"roles":["admin"]}`) + "." + parts[2],
		"not a JWT":                      "Bearer",
	}
	for name, tok := range forged {
		t.Run(name, func(t *testing.T) {
			if _, resp, err := srv.tryDial(tok, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("WebSocket upgrade: err=%v resp=%v, want 401", err, resp)
			}
			for _, path := range []string{"/sessions", "/admin/sessions"} {
				body, code := rawRequest(t, http.MethodGet, srv.baseURL+path, tok)
				if code != http.StatusUnauthorized || !strings.Contains(string(body), `"unauthorized"`) {
					t.Errorf("GET %s: %d %s, want 401 unauthorized", path, code, body)
				}
			}
		})
	}
	// The control: the genuine token works.
	if _, code := rawRequest(t, http.MethodGet, srv.baseURL+"/sessions", valid); code != http.StatusOK {
		t.Fatalf("the genuine token got %d", code)
	}
}

// jwtSegment encodes one part of a JWT: unpadded base64url.
func jwtSegment(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustMarshalPKIX(t *testing.T, key *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCrossSiteWebSocketHijacking: a page on a foreign origin cannot open
// the socket, however the origin is disguised; and since the server never
// reads credentials from cookies, a browser's ambient cookies give a
// hijacking page nothing to ride on even where the origin is allowed.
func TestCrossSiteWebSocketHijacking(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"WS_ALLOWED_ORIGINS": "https://chat.example.com"}))
	valid := token(t, "gina", time.Hour)
	for _, origin := range []string{
		"https://evil.example.com",
		"http://chat.example.com",           // scheme downgrade
		"https://chat.example.com:8443",     // another port
		"https://chat.example.com.evil.com", // suffix
		"https://evilchat.example.com",
		"null", // sandboxed iframes, file: pages
		"https://chat.example.com@evil.com",
		"://chat.example.com",
	} {
		if _, resp, err := srv.tryDial(valid, http.Header{"Origin": {origin}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: err=%v resp=%v, want 403", origin, err, resp)
		}
	}
	// A token in a cookie is not a credential: only the header or the
	// query parameter count.
	d := websocket.Dialer{HandshakeTimeout: waitLimit}
	h := http.Header{"Origin": {"https://chat.example.com"}, "Cookie": {"token=" + valid}}
	if _, resp, err := d.Dial(srv.wsURL, h); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token in a cookie: err=%v resp=%v, want 401", err, resp)
	}
	if _, _, err := srv.tryDial(valid, http.Header{"Origin": {"https://CHAT.example.com/"}}); err != nil {
		t.Errorf("the allowed origin, differently cased: %v", err)
	}
}

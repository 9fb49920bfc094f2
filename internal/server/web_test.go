package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The pages are mounted next to the API without taking over its 404s, and
// the development login exists only in development mode.
func TestWebPagesAreMounted(t *testing.T) {
	llm := fakeLLM(t)
	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  map[string]int
	}{
		{"development", nil, map[string]int{
			"/": 200, "/console/": 200, "/dev/login": 200, "/static/js/chat.js": 200,
			"/nope": 404, "/static/nope.js": 404, "/sessions/x/nope": 404,
		}},
		{"production", map[string]string{"CHATBOX_ENV": "production", "WS_ALLOWED_ORIGINS": "https://shop.example"}, map[string]int{
			"/": 200, "/console/": 200, "/dev/login": 404, "/nope": 404,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := start(t, testEnv(t.TempDir(), llm.URL, tc.extra))
			for path, status := range tc.want {
				resp, err := http.Get(in.baseURL + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != status {
					t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, status)
				}
				if status == 404 && !strings.Contains(string(body), `"not_found"`) {
					t.Errorf("GET %s: 404 body %s, want the API's JSON error", path, body)
				}
				if path == "/" && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
					t.Errorf("GET /: CSP %q", resp.Header.Get("Content-Security-Policy"))
				}
			}
		})
	}
}

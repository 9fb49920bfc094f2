package web

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newTestHandler(t *testing.T, o Options) http.Handler {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h, err := Handler(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func devOptions() Options {
	return Options{
		Prefix:       "/chat",
		EmbedOrigins: []string{"https://shop.example"},
		DevTokens: func(userID, name string, admin bool) (string, error) {
			if userID == "broken" {
				return "", errors.New("no secret")
			}
			return "token-for-" + userID, nil
		},
	}
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://chat.test"+path, nil))
	return w
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	h := newTestHandler(t, devOptions())
	for _, tc := range []struct {
		path      string
		ancestors string
	}{
		{"/chat/", "frame-ancestors 'self' https://shop.example"},
		{"/chat/console/", "frame-ancestors 'self'"},
		{"/chat/dev/login", "frame-ancestors 'self'"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := get(h, tc.path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			csp := w.Header().Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self' ws://chat.test wss://chat.test", tc.ancestors} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("CSP %q allows something unsafe", csp)
			}
			if !strings.HasSuffix(csp, tc.ancestors) {
				t.Errorf("CSP %q: frame-ancestors should be exactly %q", csp, tc.ancestors)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", got)
			}
			if strings.Contains(w.Body.String(), "<script>") || strings.Contains(w.Body.String(), " style=") {
				t.Error("page has an inline script or style")
			}
		})
	}
}

var metaConfig = regexp.MustCompile(`<meta name="chatbox-config" content="([^"]*)">`)

func TestPagesCarryTheirConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name       string
		production bool
		prefix     string
		wantDev    bool
	}{
		{"development", false, "/chat", true},
		{"production", true, "/chat", false},
		{"root prefix", false, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := devOptions()
			o.Production, o.Prefix = tc.production, tc.prefix
			w := get(newTestHandler(t, o), tc.prefix+"/")
			m := metaConfig.FindStringSubmatch(w.Body.String())
			if m == nil {
				t.Fatalf("no config meta tag in %s", w.Body.String())
			}
			var cfg pageConfig
			if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &cfg); err != nil {
				t.Fatalf("config %q: %v", m[1], err)
			}
			if cfg.Prefix != tc.prefix || cfg.Dev != tc.wantDev || len(cfg.EmbedOrigins) != 1 {
				t.Errorf("config = %+v", cfg)
			}
			if !strings.Contains(w.Body.String(), `src="`+tc.prefix+`/static/js/chat.js"`) {
				t.Error("the page does not load its script below the prefix")
			}
		})
	}
}

func TestDevLoginDoesNotExistInProduction(t *testing.T) {
	o := devOptions()
	o.Production = true
	h := newTestHandler(t, o)
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "http://chat.test/chat/dev/login", nil),
		devTokenRequestTo("http://chat.test", `{"user_id":"alice","admin":true}`),
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"not_found"`) {
			t.Errorf("%s %s: %d %s, want a JSON 404", r.Method, r.URL.Path, w.Code, w.Body)
		}
	}
}

func devTokenRequestTo(origin, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://chat.test/chat/dev/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	return r
}

func TestDevTokenAnswersOnlyItsOwnPage(t *testing.T) {
	h := newTestHandler(t, devOptions())
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"same origin", func() *http.Request { return devTokenRequestTo("http://chat.test", `{"user_id":"alice"}`) }, http.StatusOK},
		{"no origin", func() *http.Request { return devTokenRequestTo("", `{"user_id":"alice"}`) }, http.StatusForbidden},
		{"other origin", func() *http.Request { return devTokenRequestTo("https://evil.example", `{"user_id":"alice"}`) }, http.StatusForbidden},
		{"cross-site fetch", func() *http.Request {
			r := devTokenRequestTo("http://chat.test", `{"user_id":"alice"}`)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}, http.StatusForbidden},
		{"form post", func() *http.Request {
			r := devTokenRequestTo("http://chat.test", `user_id=alice`)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, http.StatusUnsupportedMediaType},
		{"bad user id", func() *http.Request { return devTokenRequestTo("http://chat.test", `{"user_id":"a b"}`) }, http.StatusBadRequest},
		{"unknown field", func() *http.Request { return devTokenRequestTo("http://chat.test", `{"user_id":"a","roles":["x"]}`) }, http.StatusBadRequest},
		{"mint fails", func() *http.Request { return devTokenRequestTo("http://chat.test", `{"user_id":"broken"}`) }, http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req())
			if w.Code != tc.status {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tc.status)
			}
			if tc.status == http.StatusOK && !strings.Contains(w.Body.String(), `"token":"token-for-alice"`) {
				t.Errorf("body %s", w.Body)
			}
		})
	}
}

func TestStaticFilesRevalidate(t *testing.T) {
	h := newTestHandler(t, devOptions())
	w := get(h, "/chat/static/js/chat.js")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
	}
	etag := w.Header().Get("ETag")
	r := httptest.NewRequest(http.MethodGet, "http://chat.test/chat/static/js/chat.js", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", w.Code)
	}
	for _, path := range []string{"/chat/static/chat.html", "/chat/static/nope.js", "/chat/console/extra", "/chat/dev/other"} {
		if w := get(h, path); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"not_found"`) {
			t.Errorf("%s: %d %s, want a JSON 404", path, w.Code, w.Body)
		}
	}
}

func TestEveryAssetIsServed(t *testing.T) {
	h := newTestHandler(t, devOptions())
	for _, path := range []string{"css/chatbox.css", "js/chat.js", "js/console.js", "js/login.js", "js/embed.js",
		"js/lib/config.js", "js/lib/dom.js", "js/lib/markdown.js", "js/lib/messages.js", "js/lib/socket.js", "js/lib/uploads.js"} {
		if w := get(h, "/chat/static/"+path); w.Code != http.StatusOK || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
}

func FuzzDecodeDevTokenRequest(f *testing.F) {
	for _, seed := range []string{`{"user_id":"alice","name":"Alice","admin":true}`, `{}`, `{"user_id":"a\u0000"}`,
		`{"user_id":"` + strings.Repeat("x", 70) + `"}`, `{"name":"\u0007"}`, `[`, `null`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeDevTokenRequest(strings.NewReader(body))
		if err != nil {
			return
		}
		if checkUserID(req.UserID) != nil || len(req.Name) > 64*4 {
			t.Fatalf("accepted %+v", req)
		}
	})
}

func TestOnlyTheEmbedScriptLoadsCrossOrigin(t *testing.T) {
	h := newTestHandler(t, devOptions())
	for path, want := range map[string]string{
		"/chat/static/js/embed.js":     "cross-origin",
		"/chat/static/js/chat.js":      "same-origin",
		"/chat/static/css/chatbox.css": "same-origin",
	} {
		if got := get(h, path).Header().Get("Cross-Origin-Resource-Policy"); got != want {
			t.Errorf("%s: Cross-Origin-Resource-Policy = %q, want %q", path, got, want)
		}
	}
}

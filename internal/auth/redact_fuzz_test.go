package auth

import (
	"net/url"
	"strings"
	"testing"
)

// TestRedactURLSemicolons is the regression test for a token leak found by
// the adversarial log test: "?x=1;token=..." reached the access log
// unredacted, because parameters were only split at '&'.
func TestRedactURLSemicolons(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/chat/ws?x=1;token=secret", "/chat/ws?x=1;token=REDACTED"},
		{"/chat/ws?token=a;token=b&c=d", "/chat/ws?token=REDACTED;token=REDACTED&c=d"},
		{"/chat/ws?TOKEN=secret&Token=s2", "/chat/ws?TOKEN=REDACTED&Token=REDACTED"},
		{"/chat/ws?a=1;b=2", "/chat/ws?a=1;b=2"},
		{"/chat/ws?;&", "/chat/ws?;&"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u); got != tt.want {
			t.Errorf("RedactURL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzRedactURL puts a recognisable token among arbitrary query text, after
// either separator: whatever surrounds it, the token never survives.
func FuzzRedactURL(f *testing.F) {
	f.Add("a=1", "b=2", true, false)
	f.Add("", "", false, true)
	f.Add("%", "token", true, true)
	f.Add("x=1;y", "=&", false, false)
	f.Add("tok%65n=1", "%zz", true, false)
	const marker = "eyJmarker.payload.SIGNATURE"
	f.Fuzz(func(t *testing.T, before, after string, semicolonBefore, semicolonAfter bool) {
		if strings.Contains(before+after, "marker") || strings.ContainsAny(before+after, "#?") {
			return
		}
		sep := func(semicolon bool) string {
			if semicolon {
				return ";"
			}
			return "&"
		}
		raw := "/chat/ws?" + before + sep(semicolonBefore) + "token=" + marker + sep(semicolonAfter) + after
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if got := RedactURL(u); strings.Contains(got, "marker") || strings.Contains(got, "SIGNATURE") {
			t.Fatalf("RedactURL(%q) = %q keeps the token", raw, got)
		}
	})
}

// TestRedactURLTokenShapes is the regression test for the attack run's
// finding that "/chat/ws;token=..." reached the access log verbatim: a
// token is redacted wherever it sits in a URL, by its name or its shape.
func TestRedactURLTokenShapes(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	tests := []struct{ in, want string }{
		{"/chat/ws;token=secret", "/chat/ws;token=REDACTED"},
		{"/chat/ws;TOKEN=secret/more", "/chat/ws;TOKEN=REDACTED/more"},
		{"/chat/ws;%74oken=secret", "/chat/ws;%74oken=REDACTED"},
		{"/chat/" + jwt + "/messages", "/chat/REDACTED/messages"},
		{"/chat/ws;x=" + jwt, "/chat/ws;x=REDACTED"},
		{"/chat/ws?cursor=" + jwt, "/chat/ws?cursor=REDACTED"},
		{"/chat/ws#token=" + jwt, "/chat/ws#token=REDACTED"},
		{"/chat/ws#" + jwt, "/chat/ws#REDACTED"},
		{"/chat/ws;key=ck_live_0123456789abcdef", "/chat/ws;key=REDACTED"},
		{"/chat/ws/%65yJhbGciOiJIUzI1NiJ9%2EeyJzdWIiOiJxIn0.c2ln", "/chat/ws/REDACTED"},
		{"/chat/eyJhbGciOiJub25lIn0.eyJzdWIiOiJxIn0.", "/chat/REDACTED"},
		// Ordinary paths keep their shape.
		{"/chat/static/app.min.js", "/chat/static/app.min.js"},
		{"/chat/sessions/9b1d2c3e-4f50-6172-8394-a5b6c7d8e9f0/messages?after_seq=3", "/chat/sessions/9b1d2c3e-4f50-6172-8394-a5b6c7d8e9f0/messages?after_seq=3"},
		{"/chat/uploads/ck_short", "/chat/uploads/ck_short"},
		{"/chat/mytoken=keep", "/chat/mytoken=keep"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u); got != tt.want {
			t.Errorf("RedactURL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzRedactURLTokenAnywhere puts a JWT-like token or a ck_ key at an
// arbitrary place of arbitrary URL text (path, parameters, query,
// fragment): whatever surrounds it, neither survives RedactURL.
func FuzzRedactURLTokenAnywhere(f *testing.F) {
	f.Add("/chat/ws;token=", "", false)
	f.Add("/chat/", "/messages", true)
	f.Add("/chat/ws?x=", "#frag", false)
	f.Add("/chat/ws#", ".", true)
	f.Add("/chat/%2", "%41", false)
	f.Add("/a.b", "..c", true)
	const (
		jwt = "eyJmarker.payloadpayload.SIGNATURESIGNATURE"
		key = "ck_KEYMATERIAL0123"
	)
	f.Fuzz(func(t *testing.T, before, after string, useKey bool) {
		secret, tell := jwt, []string{"marker", "SIGNATURE"}
		if useKey {
			secret, tell = key, []string{"KEYMATERIAL"}
		}
		for _, w := range tell {
			if strings.Contains(strings.ToLower(before+after), strings.ToLower(w)) {
				return
			}
		}
		u, err := url.Parse(before + secret + after)
		if err != nil {
			return
		}
		got := RedactURL(u)
		for _, w := range tell {
			if strings.Contains(got, w) {
				t.Fatalf("RedactURL(%q) = %q keeps the secret", before+secret+after, got)
			}
		}
	})
}

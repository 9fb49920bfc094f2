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

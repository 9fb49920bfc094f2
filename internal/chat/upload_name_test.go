package chat

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\cmd.exe`, "cmd.exe"},
		{"/abs/path/x.png", "x.png"},
		{"..", "file"},
		{"", "file"},
		{".htaccess", "htaccess"},
		{"a\x00b\r\nc.txt", "abc.txt"},
		{`say "hi".txt`, "say hi.txt"},
		{"  spaced\tname .png ", "spacedname .png"},
		{"  two  words.png ", "two  words.png"},
		{"\xff\xfeok.txt", "ok.txt"},
		{"résumé 履歴書.docx", "résumé 履歴書.docx"},
		// Format characters (category Cf) are dropped: bidi overrides,
		// embeddings, isolates and marks would make a name display as
		// something it is not; zero-width ones hide in look-alikes.
		{"invoice\u202efdp.txt", "invoicefdp.txt"},
		{"\u202dx\u202a\u202b\u202c.png", "x.png"},
		{"a\u2066b\u2067c\u2068d\u2069.pdf", "abcd.pdf"},
		{"\u200eleft\u200fright\u061c.txt", "leftright.txt"},
		{"zero\u200bwidth\u200c\u200d\u2060.txt", "zerowidth.txt"},
		{"\ufeffbom.txt", "bom.txt"},
		{"soft\u00adhyphen.txt", "softhyphen.txt"},
		{"\u202e", "file"},
		{"\u202e.htaccess", "htaccess"},
		{"👍🏽 family 👨‍👩‍👧.png", "👍🏽 family 👨👩👧.png"},
	}
	for _, tc := range tests {
		if got := SanitizeName(tc.in); got != tc.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := SanitizeName(strings.Repeat("é", 300))
	if len(long) > maxUploadNameBytes || !utf8.ValidString(long) {
		t.Errorf("long name: %d bytes, valid UTF-8 %v", len(long), utf8.ValidString(long))
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a.png", "../x", "\x00", "..\\..", strings.Repeat("ü", 120), "invoice\u202efdp.txt", "\u2067.\u2069."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeName(in)
		if got == "" || len(got) > maxUploadNameBytes || !utf8.ValidString(got) ||
			strings.ContainsAny(got, "/\\\"\x00\r\n") || strings.HasPrefix(got, ".") ||
			strings.ContainsFunc(got, func(r rune) bool { return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) }) {
			t.Fatalf("SanitizeName(%q) = %q", in, got)
		}
	})
}

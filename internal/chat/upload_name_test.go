package chat

import (
	"strings"
	"testing"
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
	for _, s := range []string{"a.png", "../x", "\x00", "..\\..", strings.Repeat("ü", 120)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeName(in)
		if got == "" || len(got) > maxUploadNameBytes || !utf8.ValidString(got) ||
			strings.ContainsAny(got, "/\\\"\x00\r\n") || strings.HasPrefix(got, ".") {
			t.Fatalf("SanitizeName(%q) = %q", in, got)
		}
	})
}

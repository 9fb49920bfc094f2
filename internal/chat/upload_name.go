package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxUploadNameBytes bounds a stored file name.
const maxUploadNameBytes = 200

// SanitizeName turns a client's file name into one safe to display and to
// put in a Content-Disposition header: the last path element only (so
// "../../etc/passwd" becomes "passwd"), without control characters, quotes
// or backslashes, without format characters (Unicode category Cf: the
// bidirectional overrides and isolates that make "invoice\u202efdp.txt"
// display as "invoicetxt.pdf", zero-width joiners and spaces, the BOM),
// without leading dots or surrounding spaces, valid UTF-8, at most 200
// bytes. An empty result becomes "file". The name never reaches
// a path or an object key: those are random.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '"', r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimSpace(name)
	if len(name) > maxUploadNameBytes {
		cut := maxUploadNameBytes
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = strings.TrimSpace(name[:cut])
	}
	if name == "" {
		return "file"
	}
	return name
}

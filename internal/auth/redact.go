package auth

import (
	"net/url"
	"strings"
)

// RedactURL renders u for logs with every credential it may carry replaced
// by REDACTED: "token" query values, "token=" pairs anywhere else (a path
// parameter such as "/chat/ws;token=..." or a fragment), any value shaped
// like a token wherever it appears (RedactTokens), and the userinfo
// password. The rest keeps its order and encoding.
//
// Query parameters are split at ';' as well as '&': Go's query parser
// rejects a ';' pair, so such a token never authenticates, but a client
// that sent one has still put a live token in the URL. The name matches in
// any case for the same reason.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	return RedactTokens(c.Redacted())
}

// redactQuery replaces the value of every parameter named "token".
func redactQuery(raw string) string {
	var b strings.Builder
	rest := raw
	for {
		end := strings.IndexAny(rest, "&;")
		part := rest
		if end >= 0 {
			part = rest[:end]
		}
		key, _, _ := strings.Cut(part, "=")
		// Unescape so "%74oken=" cannot slip a token past the filter.
		name, err := url.QueryUnescape(key)
		if strings.EqualFold(key, "token") || (err == nil && strings.EqualFold(name, "token")) {
			part = key + "=REDACTED"
		}
		b.WriteString(part)
		if end < 0 {
			return b.String()
		}
		b.WriteByte(rest[end])
		rest = rest[end+1:]
	}
}

// RedactTokens replaces token-shaped values anywhere in s, a URL or any
// text bound for a log: JWT-like runs (three or more dot-separated
// base64url segments), "ck_" API keys, and the value of any "token=" pair
// that follows a URL delimiter. It looks twice: at the text as written,
// then with percent-escapes decoded, so that neither escaping a character
// of a token nor an escape that swallows its first character ("%0ck_...")
// hides it. What is replaced is the text as written.
func RedactTokens(s string) string {
	return redactPass(redactPass(s, false), true)
}

func redactPass(s string, decode bool) string {
	units := decodeUnits(s, decode)
	var spans [][2]int // unit index ranges to replace, in order
	for i := 0; i < len(units); {
		if start, end, ok := tokenPair(units, i); ok {
			if end > start && string(decodedBytes(units[start:end])) != "REDACTED" {
				spans = append(spans, [2]int{start, end})
			}
			i = end
			continue
		}
		if !isTokenByte(units[i].b) && units[i].b != '.' {
			i++
			continue
		}
		j := i
		for j < len(units) && (isTokenByte(units[j].b) || units[j].b == '.') {
			j++
		}
		if tokenShaped(units[i:j]) {
			spans = append(spans, [2]int{i, j})
		}
		i = j
	}
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:units[sp[0]].start])
		b.WriteString("REDACTED")
		prev = units[sp[1]-1].end
	}
	b.WriteString(s[prev:])
	return b.String()
}

// unit is one decoded byte of a text and where it was written: a plain
// byte, or a %XX escape.
type unit struct {
	b          byte
	start, end int
}

func decodeUnits(s string, decode bool) []unit {
	out := make([]unit, 0, len(s))
	for i := 0; i < len(s); {
		if decode && s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unit{b: unhex(s[i+1])<<4 | unhex(s[i+2]), start: i, end: i + 3})
			i += 3
			continue
		}
		out = append(out, unit{b: s[i], start: i, end: i + 1})
		i++
	}
	return out
}

// tokenPair reports whether a "token=" pair starts at units[i] (after a
// delimiter or at the start of the text), and if so where its value
// starts and ends.
func tokenPair(units []unit, i int) (start, end int, ok bool) {
	const name = "token="
	if i+len(name) > len(units) || (i > 0 && !strings.ContainsRune("/;&?#", rune(units[i-1].b))) {
		return 0, 0, false
	}
	for k := range len(name) {
		b := units[i+k].b
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != name[k] {
			return 0, 0, false
		}
	}
	start = i + len(name)
	end = start
	for end < len(units) && !strings.ContainsRune("&;/?#", rune(units[end].b)) {
		end++
	}
	return start, end, true
}

// tokenShaped reports whether a run of base64url characters and dots is a
// JWT-like token (three or more segments, the first starting "eyJ" or
// the first two at least 4 long and the run at least 24) or holds a
// "ck_" key of at least 8 characters after the prefix, in any case and
// even glued to other characters ("%0ck_..." is rendered "%0Ck_..." once
// parsed) or with its "c" eaten by an escape, so any "k_" followed by 8
// key characters counts (a false positive costs a log line some detail).
func tokenShaped(run []unit) bool {
	text := string(decodedBytes(run))
	segs := strings.Split(text, ".")
	for k, seg := range segs {
		// A key glued to other characters is still a key, and so is one
		// whose "c" an escape swallowed ("%4ck_..." is logged "Lk_...").
		if i := strings.Index(strings.ToLower(seg), "k_"); i >= 0 && len(seg)-i >= len("k_")+8 {
			return true
		}
		if k+2 < len(segs) && segs[k+1] != "" {
			if strings.HasPrefix(seg, "eyJ") {
				return true
			}
			if len(seg) >= 4 && len(segs[k+1]) >= 4 && len(text) >= 24 {
				return true
			}
		}
	}
	return false
}

func decodedBytes(units []unit) []byte {
	out := make([]byte, len(units))
	for i, u := range units {
		out[i] = u.b
	}
	return out
}

// isTokenByte reports whether b belongs to the base64url alphabet.
func isTokenByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

func unhex(b byte) byte {
	switch {
	case '0' <= b && b <= '9':
		return b - '0'
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10
	}
	return b - 'A' + 10
}

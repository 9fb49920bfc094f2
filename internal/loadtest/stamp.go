package loadtest

import (
	"strconv"
	"strings"
	"time"
)

// stampMark starts an emission stamp inside a token's text. Tokens are
// " ~" followed by the emission time in Unix nanoseconds, base 36, so that a
// client can tell, for every token it receives, how long it travelled, even
// when a server merges several tokens into one delta.
const stampMark = '~'

// stampToken returns the text of a token emitted at t.
func stampToken(t time.Time) string {
	var b [16]byte
	out := append(b[:0], ' ', stampMark)
	return string(strconv.AppendInt(out, t.UnixNano(), 36))
}

// parseStamps calls fn with the emission time (Unix nanoseconds) of every
// stamp in text, in order. Text that is not a stamp is skipped, so the
// parser accepts anything a server sends.
func parseStamps(text string, fn func(unixNano int64)) {
	for {
		i := strings.IndexByte(text, stampMark)
		if i < 0 {
			return
		}
		text = text[i+1:]
		n := 0
		for n < len(text) && isBase36(text[n]) {
			n++
		}
		if n > 0 {
			if v, err := strconv.ParseInt(text[:n], 36, 64); err == nil && v > 0 {
				fn(v)
			}
		}
		text = text[n:]
	}
}

func isBase36(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z')
}

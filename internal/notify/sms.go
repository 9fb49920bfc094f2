package notify

import (
	"strings"
	"unicode/utf8"
)

// smsLimit is one SMS segment in the GSM-7 alphabet. Longer texts are split
// into several billed segments, and one character outside the alphabet
// switches the whole text to UCS-2, where a segment holds only 70.
const smsLimit = 160

// gsmLatin lists the non-ASCII characters of the GSM-7 basic alphabet, so
// names like José survive.
const gsmLatin = "£¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà¡"

// septets returns what r costs in a GSM-7 text: 1 in the basic alphabet,
// 2 in the extension table, 0 if it cannot be sent as GSM-7 at all.
func septets(r rune) int {
	switch {
	case r == '`':
		return 0
	case r == '\n' || r >= ' ' && r <= '~' && !strings.ContainsRune(`[\]^{|}~`, r):
		return 1
	case strings.ContainsRune(`[\]^{|}~`, r):
		return 2
	case strings.ContainsRune(gsmLatin, r):
		return 1
	}
	return 0
}

// smsCost returns the septets s takes.
func smsCost(s string) int {
	n := 0
	for _, r := range s {
		n += septets(r)
	}
	return n
}

// gsmSafe makes free text (a user's name) sendable as GSM-7 on one line:
// line breaks and tabs become spaces, anything else outside the alphabet
// becomes '?'.
func gsmSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case septets(r) == 0:
			return '?'
		}
		return r
	}, s)
}

// fitSMS builds the text with build, shortening name (marked with "...")
// until it fits one segment, and dropping the link as a last resort: a cut
// link is worse than none.
func fitSMS(name string, build func(name string, withLink bool) string) string {
	name = gsmSafe(name)
	for _, withLink := range []bool{true, false} {
		if s := build(name, withLink); smsCost(s) <= smsLimit {
			return s
		}
		runes := []rune(name)
		for n := len(runes) - 1; n >= 0; n-- {
			if s := build(string(runes[:n])+"...", withLink); smsCost(s) <= smsLimit {
				return s
			}
		}
	}
	return cutSMS(build("", false))
}

// cutSMS truncates s to one segment.
func cutSMS(s string) string {
	n := 0
	for i, r := range s {
		n += septets(r)
		if n > smsLimit {
			return s[:i]
		}
	}
	return s
}

// oneLine makes free text safe for a subject line or log field: control
// characters become spaces, runs of space collapse, and it is clipped to n
// runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == ' '
	}), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

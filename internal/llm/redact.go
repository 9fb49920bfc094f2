package llm

import (
	"strings"
	"unicode/utf8"
)

// MaxMessage bounds a provider message kept in an error, so that an HTML
// error page from a proxy does not flood the logs.
const MaxMessage = 300

// redactedMark replaces a secret wherever it appears.
const redactedMark = "[redacted]"

// CleanMessage makes provider text safe to put in an error: secret (the
// API key) is redacted first, so shortening can never leave part of it,
// then whitespace is collapsed and the text cut to MaxMessage bytes on a
// rune boundary.
func CleanMessage(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, redactedMark)
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= MaxMessage {
		return s
	}
	cut := MaxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Redact returns err unchanged unless its text contains secret; then it
// returns an error with the secret replaced. The original is deliberately
// not reachable through Unwrap, since it would print the secret.
func Redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return redactedError(strings.ReplaceAll(err.Error(), secret, redactedMark))
}

type redactedError string

func (e redactedError) Error() string { return string(e) }

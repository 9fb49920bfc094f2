package bus

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// maxTokenLen caps session ids. NATS servers reject protocol lines longer
// than 4 KiB by closing the connection, which would take down every
// subscription on it; a bounded id keeps any subject far below that.
const maxTokenLen = 256

// validSessionID reports why id cannot be one token of a NATS subject, or
// nil if it can. It is an error wrapping chat.ErrInvalid so callers can
// treat it as a bad request.
func validSessionID(id string) error {
	if err := checkToken(id); err != nil {
		return fmt.Errorf("bus: session id %q: %w: %w", truncate(id), err, chat.ErrInvalid)
	}
	return nil
}

// validPrefix checks a subject prefix: one or more tokens joined by dots.
func validPrefix(prefix string) error {
	for tok := range strings.SplitSeq(prefix, ".") {
		if err := checkToken(tok); err != nil {
			return fmt.Errorf("bus: subject prefix %q: %w", truncate(prefix), err)
		}
	}
	return nil
}

// checkToken rejects anything that would change a subject's meaning:
// empty tokens, the separator, wildcards and whitespace or control
// characters (the protocol splits on whitespace).
func checkToken(tok string) error {
	switch {
	case tok == "":
		return fmt.Errorf("empty")
	case len(tok) > maxTokenLen:
		return fmt.Errorf("longer than %d bytes", maxTokenLen)
	case !utf8.ValidString(tok):
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range tok {
		switch {
		case r == '.':
			return fmt.Errorf("contains '.'")
		case r == '*' || r == '>':
			return fmt.Errorf("contains wildcard %q", r)
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return fmt.Errorf("contains whitespace or control character %q", r)
		}
	}
	return nil
}

// truncate shortens untrusted input before it goes into an error message.
func truncate(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

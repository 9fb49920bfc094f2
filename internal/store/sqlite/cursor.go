package sqlite

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// cursor is the position after which the next ListSessions page starts: the
// sort key (created_at, id) of the last session served.
type cursor struct {
	createdAt int64 // ms since the Unix epoch
	id        string
}

// cursorVersion prefixes every encoded cursor, so the format can change
// later without old cursors being misread as new ones.
const cursorVersion = "1"

// maxCursorLen bounds what decodeCursor will look at. Real cursors are a few
// dozen bytes; anything far longer is not one of ours.
const maxCursorLen = 1024

// encodeCursor renders c as URL-safe text. Cursors are opaque to callers:
// only decodeCursor interprets them.
func encodeCursor(c cursor) string {
	raw := cursorVersion + ":" + strconv.FormatInt(c.createdAt, 10) + ":" + c.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor parses a cursor made by encodeCursor. Anything else fails with
// an error wrapping chat.ErrInvalid: a cursor comes from a client, and a bad
// one is a bad request, not a storage failure.
func decodeCursor(s string) (cursor, error) {
	if len(s) > maxCursorLen {
		return cursor{}, fmt.Errorf("malformed cursor: too long: %w", chat.ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("malformed cursor: %w", chat.ErrInvalid)
	}
	version, rest, ok := strings.Cut(string(raw), ":")
	if !ok || version != cursorVersion {
		return cursor{}, fmt.Errorf("malformed cursor: unknown version: %w", chat.ErrInvalid)
	}
	// The id is last and may itself contain ':'.
	ms, id, ok := strings.Cut(rest, ":")
	if !ok || id == "" {
		return cursor{}, fmt.Errorf("malformed cursor: %w", chat.ErrInvalid)
	}
	createdAt, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return cursor{}, fmt.Errorf("malformed cursor: %w", chat.ErrInvalid)
	}
	return cursor{createdAt: createdAt, id: id}, nil
}

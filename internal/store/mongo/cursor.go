package mongo

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// pageCursor is where the next page of a newest-first list starts: after
// the item with this sort key (time, id), the last one served.
type pageCursor struct {
	millis int64
	id     string
}

// cursorPrefix versions the cursor format, so a later format is never
// misread as this one.
const cursorPrefix = "m1:"

// maxCursorBytes bounds what parseCursor looks at; real cursors are short.
const maxCursorBytes = 1024

// String encodes c as URL-safe, opaque text.
func (c pageCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(c.millis, 10) + ":" + c.id))
}

// time is the cursor's time.
func (c pageCursor) time() time.Time { return time.UnixMilli(c.millis).UTC() }

// parseCursor decodes what String produced. Anything else is a bad request
// (chat.ErrInvalid), not a storage failure: cursors come from clients.
func parseCursor(s string) (pageCursor, error) {
	bad := fmt.Errorf("malformed cursor: %w", chat.ErrInvalid)
	if len(s) > maxCursorBytes {
		return pageCursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageCursor{}, bad
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return pageCursor{}, bad
	}
	ms, id, ok := strings.Cut(rest, ":") // the id is last and may hold ':'
	if !ok || id == "" {
		return pageCursor{}, bad
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return pageCursor{}, bad
	}
	return pageCursor{millis: n, id: id}, nil
}

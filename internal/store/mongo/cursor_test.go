package mongo

import (
	"encoding/base64"
	"errors"
	"math"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []pageCursor{
		{millis: 0, id: "a"},
		{millis: 1748779200345, id: "ses-0123"},
		{millis: -1, id: "with:colons:inside"},
		{millis: math.MaxInt64, id: "é\x00\xff"},
	} {
		got, err := parseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("parse(%+v.String()) = %+v, %v", c, got, err)
		}
	}
}

func TestParseCursorRejects(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		"", "!!!", "AAAA",
		b64([]byte("1:1:x")),    // another adapter's format
		b64([]byte("m1:1")),     // no id
		b64([]byte("m1:1:")),    // empty id
		b64([]byte("m1:abc:x")), // not a number
		b64(make([]byte, 2048)), // too long
	} {
		if c, err := parseCursor(s); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("parseCursor(%q) = %+v, %v; want chat.ErrInvalid", s, c, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(pageCursor{millis: 1748779200345, id: "ses-1"}.String())
	f.Add(pageCursor{millis: -5, id: "a:b"}.String())
	f.Add("")
	f.Add("AAAA")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("m1:99999999999999999999:x")))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil {
			if !errors.Is(err, chat.ErrInvalid) {
				t.Fatalf("parseCursor(%q): %v does not wrap chat.ErrInvalid", s, err)
			}
			return
		}
		if again, err := parseCursor(c.String()); err != nil || again != c {
			t.Fatalf("parseCursor(%q) = %+v, which re-encodes to %+v, %v", s, c, again, err)
		}
	})
}

package sqlite

import (
	"encoding/base64"
	"errors"
	"math"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{
		{createdAt: 0, id: "a"},
		{createdAt: 1748779200345, id: "ses-0123"},
		{createdAt: -1, id: "with:colons:inside"},
		{createdAt: math.MaxInt64, id: "é\x00\xff"},
		{createdAt: math.MinInt64, id: "x"},
	} {
		got, err := decodeCursor(encodeCursor(c))
		if err != nil || got != c {
			t.Errorf("decode(encode(%+v)) = %+v, %v", c, got, err)
		}
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		"",
		"!!!",
		"AAAA",
		b64([]byte("2:1:x")),      // unknown version
		b64([]byte("1:1")),        // no id
		b64([]byte("1:1:")),       // empty id
		b64([]byte("1:abc:x")),    // not a number
		b64([]byte("1::x")),       // empty time
		b64([]byte("1:1e3:x")),    // not an integer
		b64(make([]byte, 2*1024)), // too long
		base64.StdEncoding.EncodeToString([]byte("1:1:x")) + "==",
	} {
		if c, err := decodeCursor(s); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("decodeCursor(%q) = %+v, %v; want chat.ErrInvalid", s, c, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{createdAt: 1748779200345, id: "ses-0123"}))
	f.Add(encodeCursor(cursor{createdAt: -1, id: "a:b"}))
	f.Add("")
	f.Add("!!!")
	f.Add("AAAA")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("1:99999999999999999999:x")))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("1:-:")))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, chat.ErrInvalid) {
				t.Fatalf("decodeCursor(%q): error %v does not wrap chat.ErrInvalid", s, err)
			}
			return
		}
		// Whatever decodes must survive re-encoding unchanged.
		again, err := decodeCursor(encodeCursor(c))
		if err != nil || again != c {
			t.Fatalf("decodeCursor(%q) = %+v, which re-encodes to %+v, %v", s, c, again, err)
		}
	})
}

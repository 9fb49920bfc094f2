package bus

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// fill sets every field of the struct v points to, recursively, to a
// distinct non-zero value, so a field the codec forgets cannot survive a
// round trip by being zero on both sides.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(chat.Millis(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(*n) * time.Millisecond))))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	case reflect.String:
		v.SetString("v" + strings.Repeat("x", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8:
		v.SetUint(uint64(*n % 256))
	case reflect.Slice:
		// Two elements, so a codec keeping only one is caught too.
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n)
		}
	default:
		t.Fatalf("fill: %s has a field of kind %s; teach fill and the codec about it", v.Type(), v.Kind())
	}
}

func TestCodecRoundTripsEveryField(t *testing.T) {
	var n int
	var msg chat.Message
	var d chat.Delta
	var sess chat.Session
	var typing chat.Typing
	for _, p := range []any{&msg, &d, &sess, &typing} {
		fill(t, reflect.ValueOf(p).Elem(), &n)
	}
	for _, ev := range []chat.Event{
		{Type: chat.EventMessage, SessionID: "s1", Message: &msg},
		{Type: chat.EventDelta, SessionID: "s1", Delta: &d},
		{Type: chat.EventStatus, SessionID: "s1", Session: &sess},
		{Type: chat.EventTyping, SessionID: "s1", Typing: &typing},
		{Type: chat.EventFeed, SessionID: chat.AdminFeed, Feed: chat.FeedHelpRequested, Session: &sess},
		{Type: chat.EventBarrier, SessionID: "s1", Barrier: "token"},
		{Type: "future-type", SessionID: "s1"},
	} {
		data, err := encodeEvent(ev)
		if err != nil {
			t.Fatalf("encode %s: %v", ev.Type, err)
		}
		got, err := decodeEvent(data)
		if err != nil {
			t.Fatalf("decode %s: %v", ev.Type, err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%s event changed in a round trip:\n got %s\nwant %s\nwire %s", ev.Type, describe(got), describe(ev), data)
		}
	}
}

func TestEncodedEventCarriesVersion(t *testing.T) {
	data, err := encodeEvent(delta("s1", "a", 0))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.V == nil || *probe.V != wireVersion {
		t.Fatalf("encoded event %s lacks \"v\": %d", data, wireVersion)
	}
}

func TestEncodeRejectsUnencodableTime(t *testing.T) {
	ev := chat.Event{Type: chat.EventStatus, SessionID: "s1", Session: &chat.Session{
		CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // beyond RFC 3339
	}}
	if _, err := encodeEvent(ev); err == nil {
		t.Fatal("encodeEvent accepted a year-10000 time")
	}
}

func TestDecodeEvent(t *testing.T) {
	cases := []struct {
		name string
		data string
		ok   bool
	}{
		{"minimal", `{"v":1,"type":"delta","session_id":"s1"}`, true},
		{"unknown fields are ignored", `{"v":1,"type":"delta","session_id":"s1","new":{"x":1},"delta":{"stream_id":"a","index":1,"text":"t","later":true}}`, true},
		{"not json", `not json`, false},
		{"empty", ``, false},
		{"array", `[1,2]`, false},
		{"missing version", `{"type":"delta","session_id":"s1"}`, false},
		{"future version", `{"v":2,"type":"delta","session_id":"s1"}`, false},
		{"missing type", `{"v":1,"session_id":"s1"}`, false},
		{"missing session", `{"v":1,"type":"delta"}`, false},
		{"wildcard session", `{"v":1,"type":"delta","session_id":"s.*"}`, false},
		{"wrong field type", `{"v":1,"type":"delta","session_id":"s1","delta":{"index":"one"}}`, false},
		{"bad time", `{"v":1,"type":"status","session_id":"s1","session":{"created_at":"yesterday"}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeEvent([]byte(tc.data))
			if (err == nil) != tc.ok {
				t.Fatalf("decodeEvent(%s) error = %v, want ok=%v", tc.data, err, tc.ok)
			}
		})
	}
}

// FuzzDecodeEvent checks the decoder never panics on what arrives from the
// network, and that whatever it accepts re-encodes to a stable form.
func FuzzDecodeEvent(f *testing.F) {
	for _, ev := range append(sampleEvents("s1"), delta("s1", "a", 3)) {
		data, err := encodeEvent(ev)
		if err != nil {
			f.Fatalf("encode seed: %v", err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"v":1}`, `{"v":2,"type":"x","session_id":"s"}`,
		`{"v":1,"type":"message","session_id":"s","message":null}`,
		`{"v":1,"type":"status","session_id":"s","session":{"created_at":"2025-01-01T00:00:00+05:30"}}`,
		`{"v":1e400}`, `{"v":1,"type":"\u0000","session_id":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := decodeEvent(data)
		if err != nil {
			return
		}
		once, err := encodeEvent(ev)
		if err != nil {
			t.Fatalf("decoded event does not re-encode: %v", err)
		}
		again, err := decodeEvent(once)
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v\n%s", err, once)
		}
		twice, err := encodeEvent(again)
		if err != nil {
			t.Fatalf("second encode: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}

package dify

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func decodeAll(t testing.TB, body string, max int) ([]sseEvent, error) {
	t.Helper()
	d := newSSEDecoder(strings.NewReader(body), max)
	var out []sseEvent
	for {
		ev, err := d.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, ev)
	}
}

func TestSSEDecoder(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []sseEvent
	}{
		{"dify data events", "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n",
			[]sseEvent{{data: []byte(`{"a":1}`)}, {data: []byte(`{"b":2}`)}}},
		{"ping without data", "event: ping\n\ndata: x\n\n",
			[]sseEvent{{name: "ping"}, {data: []byte("x")}}},
		{"crlf and no space", "event:message\r\ndata:x\r\n\r\n",
			[]sseEvent{{name: "message", data: []byte("x")}}},
		{"multi-line data", "data: one\ndata: two\n\n",
			[]sseEvent{{data: []byte("one\ntwo")}}},
		{"comments and unknown fields", ": keep-alive\nid: 7\nretry: 100\ndata: x\n\n",
			[]sseEvent{{data: []byte("x")}}},
		{"extra blank lines", "\n\n\ndata: x\n\n\n",
			[]sseEvent{{data: []byte("x")}}},
		{"empty data line counts", "data:\n\n",
			[]sseEvent{{data: []byte{}}}},
		{"colon inside the value", "data: {\"t\":\"a:b\"}\n\n",
			[]sseEvent{{data: []byte(`{"t":"a:b"}`)}}},
		{"unfinished last event is dropped", "data: x\n\ndata: cut",
			[]sseEvent{{data: []byte("x")}}},
		{"unterminated event at EOF is dropped", "data: x\n\ndata: y\n",
			[]sseEvent{{data: []byte("x")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, tt.body, maxEvent)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i].name != tt.want[i].name || !bytes.Equal(got[i].data, tt.want[i].data) {
					t.Fatalf("event %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSSEDecoderRefusesHugeEvents(t *testing.T) {
	long := "data: " + strings.Repeat("x", 100) + "\n\n"
	if _, err := decodeAll(t, long, 50); !errors.Is(err, errEventTooLarge) {
		t.Fatalf("one long line: error %v", err)
	}
	many := strings.Repeat("data: xxxxxxxxxx\n", 10) + "\n"
	if _, err := decodeAll(t, many, 50); !errors.Is(err, errEventTooLarge) {
		t.Fatalf("many lines: error %v", err)
	}
	// A long line that fits is read across the buffer's boundary.
	big := strings.Repeat("y", 100<<10)
	got, err := decodeAll(t, "data: "+big+"\n\n", maxEvent)
	if err != nil || len(got) != 1 || string(got[0].data) != big {
		t.Fatalf("big event: %d events, error %v", len(got), err)
	}
}

// FuzzSSEDecoder feeds the decoder arbitrary bodies, which come from the
// network: it must never panic, loop, or return more than it was given.
func FuzzSSEDecoder(f *testing.F) {
	for _, seed := range []string{
		"data: {\"event\":\"message\",\"answer\":\"hi\"}\n\n",
		"event: ping\n\n",
		"data: a\r\ndata: b\r\n\r\n",
		": comment\nid: 1\n\ndata:\n\n",
		"data: cut",
		"\n\n\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		events, _ := decodeAll(t, body, 1<<10)
		total := 0
		for _, ev := range events {
			total += len(ev.name) + len(ev.data)
		}
		if total > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", total, len(body))
		}
	})
}

package ws

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

func TestDecodeFrame(t *testing.T) {
	last := int64(7)
	tests := []struct {
		name    string
		kind    int
		data    string
		want    inbound
		problem bool
	}{
		{"user message", websocket.TextMessage, `{"type":"user_message","session_id":"s","client_msg_id":"c","content":"hi","model_id":"m"}`,
			inbound{Type: "user_message", SessionID: "s", ClientMsgID: "c", Content: "hi", ModelID: "m"}, false},
		{"resume", websocket.TextMessage, `{"type":"resume","session_id":"s","last_seq":7}`,
			inbound{Type: "resume", SessionID: "s", LastSeq: &last}, false},
		{"unknown fields are ignored", websocket.TextMessage, `{"type":"ping","future":true}`, inbound{Type: "ping"}, false},
		{"escaped NUL decodes (rejected later by the domain)", websocket.TextMessage, `{"type":"ping","content":"a\u0000"}`, inbound{Type: "ping", Content: "a\x00"}, false},
		{"binary", websocket.BinaryMessage, `{"type":"ping"}`, inbound{}, true},
		{"invalid UTF-8", websocket.TextMessage, "{\"type\":\"\xff\"}", inbound{}, true},
		{"trailing data", websocket.TextMessage, `{"type":"ping"} x`, inbound{}, true},
		{"array", websocket.TextMessage, `[]`, inbound{}, true},
		{"wrong field type", websocket.TextMessage, `{"type":"resume","last_seq":"7"}`, inbound{}, true},
		{"empty", websocket.TextMessage, ``, inbound{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := decodeFrame(tt.kind, []byte(tt.data))
			if (problem != "") != tt.problem {
				t.Fatalf("problem = %q, want problem: %v", problem, tt.problem)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Fatalf("decoded %s, want %s", gj, wj)
			}
		})
	}
}

// FuzzDecodeFrame: no input panics, and whatever is accepted is valid
// UTF-8 all the way through.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"user_message","client_msg_id":"c","content":"hi"}`,
		`{"type":"resume","session_id":"s","last_seq":3}`,
		`{"type":"ping"}`, `{}`, `[]`, `null`, `{"type":1}`, "{\"type\":\"\xff\"}",
		`{"type":"user_message","content":"\ud800"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		in, problem := decodeFrame(websocket.TextMessage, []byte(data))
		if problem != "" {
			return
		}
		for _, s := range []string{in.Type, in.SessionID, in.ClientMsgID, in.Content, in.ModelID} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted frame decoded to invalid UTF-8 %q", s)
			}
		}
	})
}

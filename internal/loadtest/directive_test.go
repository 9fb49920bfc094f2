package loadtest

import (
	"testing"
	"time"
)

func TestReplyShapeComesFromTheNewestDirective(t *testing.T) {
	def := replyShape{Tokens: 100, Rate: 20}
	tests := []struct {
		name string
		body string
		want replyShape
	}{
		{"none: defaults", `{"messages":[{"role":"user","content":"hello"}]}`, def},
		{"the newest message wins", `{"messages":[{"content":"a tokens=5 rate=1"},{"content":"b tokens=7 rate=2.5"}]}`, replyShape{7, 2.5}},
		{"tokens only", `x tokens=3`, replyShape{3, 20}},
		{"out of range is ignored", `tokens=999999999 rate=-1`, def},
		{"garbage number is ignored", `tokens=abc rate=`, def},
		{"as fast as possible", replyShape{Tokens: 1}.directive("open"), replyShape{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shapeFrom([]byte(tt.body), def); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if d := (replyShape{Tokens: 11, Rate: 10}).duration(); d != time.Second {
		t.Errorf("11 tokens at 10/s stream for %s, want 1s", d)
	}
}

// FuzzShapeFrom: request bodies come from the server under test.
func FuzzShapeFrom(f *testing.F) {
	f.Add([]byte(`{"messages":[{"content":"q tokens=10 rate=5"}]}`))
	f.Add([]byte(`tokens=1e308 rate=NaN`))
	f.Add([]byte(`tokens=`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := shapeFrom(body, replyShape{Tokens: 1, Rate: 1})
		if s.Tokens < 0 || s.Tokens > maxTokensPerReply || !(s.Rate >= 0 && s.Rate <= maxRate) {
			t.Fatalf("shape %+v from %q", s, body)
		}
	})
}

package loadtest

import (
	"testing"
	"time"
)

func TestStampsSurviveBeingJoinedAndSplit(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 123_456_789)
	tokens := []string{stampToken(t0), stampToken(t0.Add(time.Millisecond)), stampToken(t0.Add(2 * time.Millisecond))}
	tests := []struct {
		name string
		text string
		want []int64
	}{
		{"one token", tokens[0], []int64{t0.UnixNano()}},
		{"a catch-up delta holds several", tokens[0] + tokens[1] + tokens[2],
			[]int64{t0.UnixNano(), t0.Add(time.Millisecond).UnixNano(), t0.Add(2 * time.Millisecond).UnixNano()}},
		{"text around stamps is skipped", "hello" + tokens[1] + " world", []int64{t0.Add(time.Millisecond).UnixNano()}},
		{"a bare mark is no stamp", "~ ~~ ~-1 ~ABC", nil},
		{"no stamps", "plain text", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			parseStamps(tt.text, func(v int64) { got = append(got, v) })
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// FuzzParseStamps: deltas come from the server under test, so the parser
// must take anything, and only ever yield positive times.
func FuzzParseStamps(f *testing.F) {
	f.Add(stampToken(time.Now()))
	f.Add(" ~zzzzzzzzzzzzzzzzzzzz")
	f.Add("~0~1~a~")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		parseStamps(text, func(v int64) {
			if v <= 0 {
				t.Fatalf("stamp %d from %q", v, text)
			}
		})
	})
}

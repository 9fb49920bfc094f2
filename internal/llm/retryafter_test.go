package llm_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"absent", nil, 0},
		{"seconds", map[string]string{"Retry-After": "20"}, 20 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{"http date", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"milliseconds win", map[string]string{"Retry-After": "20", "Retry-After-Ms": "250"}, 250 * time.Millisecond},
		{"bad milliseconds fall back", map[string]string{"Retry-After": "3", "Retry-After-Ms": "soon"}, 3 * time.Second},
		{"zero", map[string]string{"Retry-After": "0"}, 0},
		{"negative", map[string]string{"Retry-After": "-5"}, 0},
		{"garbage", map[string]string{"Retry-After": "tomorrow"}, 0},
		{"capped", map[string]string{"Retry-After": "86400"}, llm.MaxRetryAfter},
		{"huge does not overflow", map[string]string{"Retry-After": "1e300"}, llm.MaxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := llm.RetryAfter(h, now); got != tt.want {
				t.Fatalf("RetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzRetryAfter feeds the header values a provider (or a proxy in front
// of it) controls.
func FuzzRetryAfter(f *testing.F) {
	for _, seed := range [][2]string{
		{"20", ""}, {"", "250"}, {"Sat, 01 Mar 2025 12:01:00 GMT", ""}, {"1e308", "1e308"},
		{"-1", "-1"}, {"NaN", "NaN"}, {"Inf", "+Inf"}, {"0x10", "0x10"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, after, afterMs string) {
		h := http.Header{}
		h.Set("Retry-After", after)
		h.Set("Retry-After-Ms", afterMs)
		d := llm.RetryAfter(h, now)
		if d < 0 || d > llm.MaxRetryAfter {
			t.Fatalf("RetryAfter(%q, %q) = %v, outside [0, %v]", after, afterMs, d, llm.MaxRetryAfter)
		}
	})
}

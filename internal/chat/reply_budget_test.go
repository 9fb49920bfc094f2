package chat

import "testing"

// TestCapTokens: the smaller positive limit wins; 0 means "none".
func TestCapTokens(t *testing.T) {
	for _, tc := range []struct{ limit, ceiling, want int }{
		{0, 0, 0},
		{1000, 0, 1000},
		{0, 250, 250},
		{1000, 250, 250},
		{100, 250, 100},
		{100, 100, 100},
	} {
		if got := CapTokens(tc.limit, tc.ceiling); got != tc.want {
			t.Errorf("CapTokens(%d, %d) = %d, want %d", tc.limit, tc.ceiling, got, tc.want)
		}
	}
}

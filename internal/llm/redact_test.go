package llm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/llm"
)

func TestCleanMessage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"redacts every occurrence", "a sk-secret b sk-secret", "a [redacted] b [redacted]"},
		{"collapses whitespace", " line one\n\tline   two ", "line one line two"},
		{"shortens on a rune boundary", strings.Repeat("é", 200), strings.Repeat("é", 150) + "…"},
		{"redacts before shortening", strings.Repeat("x", 295) + "sk-secret", strings.Repeat("x", 295) + "[reda…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := llm.CleanMessage(tt.in, "sk-secret"); got != tt.want {
				t.Fatalf("CleanMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	plain := errors.New("dial tcp: connection refused")
	if got := llm.Redact(plain, "sk-secret"); got != plain {
		t.Fatalf("an error without the key was replaced: %v", got)
	}
	leaky := errors.New(`Post "https://proxy/v1?key=sk-secret": EOF`)
	got := llm.Redact(leaky, "sk-secret")
	if strings.Contains(got.Error(), "sk-secret") || errors.Unwrap(got) != nil {
		t.Fatalf("Redact = %q (unwraps to %v)", got, errors.Unwrap(got))
	}
	if got := llm.Redact(leaky, ""); got != leaky {
		t.Fatal("no secret, yet the error was replaced")
	}
}

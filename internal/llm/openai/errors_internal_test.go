package openai

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name                string
		body                string
		typ, code, wantText string
	}{
		{"openai object", `{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded","param":null}}`, "requests", "rate_limit_exceeded", "Rate limit"},
		{"null code", `{"error":{"message":"boom","type":"server_error","code":null}}`, "server_error", "", "boom"},
		{"numeric code", `{"error":{"message":"bad","code":400}}`, "", "400", "bad"},
		{"bare string error", `{"error":"model not found"}`, "", "", "model not found"},
		{"top-level message", `{"object":"error","message":"too long","type":"BadRequestError","code":400}`, "BadRequestError", "400", "too long"},
		{"detail", `{"detail":"Not Found"}`, "", "", "Not Found"},
		{"structured detail", `{"detail":[{"msg":"field required"}]}`, "", "", `[{"msg":"field required"}]`},
		{"unknown json", `{"oops":1}`, "", "", `{"oops":1}`},
		{"not json", "Service Unavailable", "", "", "Service Unavailable"},
		{"empty", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, code, msg := parseErrorBody([]byte(tt.body))
			if typ != tt.typ || code != tt.code || msg != tt.wantText {
				t.Fatalf("got (%q, %q, %q), want (%q, %q, %q)", typ, code, msg, tt.typ, tt.code, tt.wantText)
			}
		})
	}
}

func TestClean(t *testing.T) {
	p := &Provider{apiKey: "sk-secret"}
	tests := []struct {
		name, in, want string
	}{
		{"redacts every occurrence", "a sk-secret b sk-secret", "a [redacted] b [redacted]"},
		{"collapses whitespace", " line one\n\tline   two ", "line one line two"},
		{"shortens on a rune boundary", strings.Repeat("é", 200), strings.Repeat("é", 150) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.clean(tt.in); got != tt.want {
				t.Fatalf("clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	p := &Provider{apiKey: "sk-secret"}
	plain := errors.New("dial tcp: connection refused")
	if got := p.redact(plain); got != plain {
		t.Fatalf("an error without the key was replaced: %v", got)
	}
	leaky := errors.New(`Post "https://proxy/v1?key=sk-secret": EOF`)
	got := p.redact(leaky)
	if strings.Contains(got.Error(), "sk-secret") || !strings.Contains(got.Error(), "[redacted]") {
		t.Fatalf("redact = %q", got)
	}
	if errors.Unwrap(got) != nil {
		t.Fatal("the redacted error unwraps to one that prints the key")
	}
	keyless := &Provider{}
	if got := keyless.redact(leaky); got != leaky {
		t.Fatalf("no key configured, yet the error was replaced: %v", got)
	}
}

package auth

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestTokenFromRequest(t *testing.T) {
	tests := []struct {
		name, target, header, want string
	}{
		{"header", "/chat/ws", "Bearer abc", "abc"},
		{"scheme is case-insensitive", "/chat/ws", "bearer abc", "abc"},
		{"header wins over query", "/chat/ws?token=q", "Bearer h", "h"},
		{"query", "/chat/ws?token=q", "", "q"},
		{"query is unescaped", "/chat/ws?token=a%2Bb", "", "a+b"},
		{"non-bearer header falls back to query", "/chat/ws?token=q", "Basic dXNlcjpwdw==", "q"},
		{"empty bearer falls back to query", "/chat/ws?token=q", "Bearer   ", "q"},
		{"bare token in header is ignored", "/chat/ws", "abc", ""},
		{"none", "/chat/ws", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if got := TokenFromRequest(r); got != tt.want {
				t.Errorf("TokenFromRequest = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/chat/ws?token=eyJsecret", "/chat/ws?token=REDACTED"},
		{"/chat/ws?a=1&token=x&b=2&token=y", "/chat/ws?a=1&token=REDACTED&b=2&token=REDACTED"},
		{"/chat/ws?%74oken=x", "/chat/ws?%74oken=REDACTED"},
		{"/chat/ws?tokens=keep&mytoken=keep", "/chat/ws?tokens=keep&mytoken=keep"},
		{"/chat/ws?token", "/chat/ws?token=REDACTED"},
		{"/chat/ws", "/chat/ws"},
		{"wss://u:pw@chat.example.com/chat/ws?token=t", "wss://u:xxxxx@chat.example.com/chat/ws?token=REDACTED"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		before := u.String()
		if got := RedactURL(u); got != tt.want {
			t.Errorf("RedactURL(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if u.String() != before {
			t.Errorf("RedactURL modified its argument: %s", u)
		}
	}
	if RedactURL(nil) != "" {
		t.Error("RedactURL(nil) is not empty")
	}
}

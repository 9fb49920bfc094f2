package config

import (
	"strings"
	"testing"
)

// TestRedactURL: every way a URL can carry a credential (user name, user
// and password, a secret-named query parameter, a fragment) is masked,
// and the host, port and path stay readable for the operator.
func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"http://llm.internal:8000/v1", "http://llm.internal:8000/v1"},
		{"http://user:pass@llm.internal/v1", "http://REDACTED@llm.internal/v1"},
		{"nats://s3cr3t-token@nats:4222", "nats://REDACTED@nats:4222"},
		{"https://s3.example.com/?X-Amz-Signature=abc&region=eu", "https://s3.example.com/?X-Amz-Signature=REDACTED&region=eu"},
		{"https://llm.example.com/v1?api-key=abc", "https://llm.example.com/v1?api-key=REDACTED"},
		{"https://llm.example.com/v1#access_token=abc", "https://llm.example.com/v1#REDACTED"},
		{"http://u:p@[::1", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedactedConfiguredURLs: the start-up summary shows every configured
// URL with its credentials masked (user names too: NATS token auth puts
// the token there), the S3 endpoint included.
func TestRedactedConfiguredURLs(t *testing.T) {
	e := prodEnv(t).with(
		"NATS_URL", "nats://natstoken@nats:4222,nats://u:natspw@nats2:4222",
		"LLM_PROVIDER_1_ENDPOINT", "https://llmuser:endpointpw@llm.example.com/v1?key=querykey",
		"S3_BUCKET", "files", "S3_ENDPOINT", "http://s3user:s3pw@minio:9000",
		"S3_ACCESS_KEY_ID", "ak", "S3_SECRET_ACCESS_KEY", "sk",
	)
	r := mustLoad(t, "", e).Redacted()
	for k, v := range r {
		for _, secret := range []string{"natstoken", "natspw", "llmuser", "endpointpw", "querykey", "s3user", "s3pw"} {
			if strings.Contains(v, secret) {
				t.Errorf("Redacted()[%s] = %q shows %q", k, v, secret)
			}
		}
	}
	if got := r["S3_ENDPOINT"]; got != "http://REDACTED@minio:9000" {
		t.Errorf("S3_ENDPOINT = %q", got)
	}
}

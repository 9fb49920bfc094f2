package notify

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTwilioErrorClassification(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		permanent bool
		after     time.Duration
		want      string
	}{
		{429, `{"code":20429,"message":"Too Many Requests"}`, false, 0, "HTTP 429: Too Many Requests (Twilio error 20429)"},
		{500, `not json`, false, 0, "HTTP 500: Internal Server Error"},
		{503, ``, false, 0, "HTTP 503"},
		{401, `{"code":20003,"message":"Authenticate"}`, false, 0, "Authenticate"},
		{400, `{"code":21211,"message":"The 'To' number +1 is not a valid phone number."}`, true, 0, "Twilio error 21211"},
		{404, `{"message":"line one\nline two"}`, true, 0, "line one line two"},
	}
	for _, tt := range tests {
		err := twilioError(tt.status, "", []byte(tt.body))
		if IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("HTTP %d %s: %v (permanent %v), want %q permanent %v", tt.status, tt.body, err, IsPermanent(err), tt.want, tt.permanent)
		}
	}
	if got := retryHint(twilioError(429, "7", nil)); got != 7*time.Second {
		t.Errorf("Retry-After 7 gave a hint of %s", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "12": 12 * time.Second, "-5": 0, "999999": time.Hour, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

// FuzzTwilioError feeds arbitrary responses to the decoder of Twilio's
// replies: it must not panic, must keep the error on one line, and must
// never treat a throttle or a server error as permanent.
func FuzzTwilioError(f *testing.F) {
	f.Add(429, "1", []byte(`{"code":20429,"message":"Too Many Requests","status":429}`))
	f.Add(400, "", []byte(`{"code":21211,"message":"invalid"}`))
	f.Add(500, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`<html>`))
	f.Add(302, "x", []byte(`{"message":"\u2028\n\r"}`))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		err := twilioError(status, retryAfter, body)
		if err == nil || strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error %q", err)
		}
		if (status == 429 || status >= 500) && IsPermanent(err) {
			t.Errorf("HTTP %d treated as permanent", status)
		}
		if d := parseRetryAfter(retryAfter, time.Now()); d < 0 || d > time.Hour {
			t.Errorf("Retry-After %q gave %s", retryAfter, d)
		}
	})
}

func TestBackoff(t *testing.T) {
	n := &Notifier{opts: Options{Retry: Retry{Base: time.Second, Max: time.Minute, MaxAttempts: 10}}}
	for attempts, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 7: time.Minute, 30: time.Minute} {
		for range 20 {
			d := n.backoff(attempts, 0)
			if d < base*8/10 || d > base*12/10 {
				t.Errorf("backoff after %d attempts = %s, want %s ± 20%%", attempts, d, base)
			}
		}
	}
	if d := n.backoff(1, 5*time.Minute); d != 5*time.Minute {
		t.Errorf("a 5m Retry-After gave %s", d)
	}
	if d := n.backoff(1, 3*time.Hour); d != time.Hour {
		t.Errorf("a 3h Retry-After gave %s, want the one-hour cap", d)
	}
}

package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RetryHinter is implemented by provider errors that know whether the
// failure is the provider's (an outage, an overload, a rate limit, a
// rejected key) or the request's (malformed, too long), and whether the
// provider asked to be left alone for a while.
type RetryHinter interface {
	// RetryHint reports whether another attempt, here later or at another
	// provider now, may succeed, and how long this provider asked callers
	// to wait (Retry-After); 0 if it did not say.
	RetryHint() (retry bool, after time.Duration)
}

// Retryable classifies a provider failure for failover: retry reports
// whether another provider should be tried, after how long this provider
// asked not to be called again (0: it did not say).
//
// A cancelled context is never retryable: the caller stopped the request.
// Errors implementing RetryHinter answer for themselves. Everything else
// (refused or dropped connections, TLS failures, timeouts, truncated
// streams, undecodable answers) is the provider's failure and retryable.
func Retryable(err error) (retry bool, after time.Duration) {
	if err == nil || errors.Is(err, context.Canceled) {
		return false, 0
	}
	var h RetryHinter
	if errors.As(err, &h) {
		return h.RetryHint()
	}
	return true, 0
}

// StatusRetryable reports whether an HTTP status from a provider means the
// provider, not the request, is at fault: 408, 409, 425, 429, every 5xx
// (including Anthropic's 529 "overloaded"), and 401, 403 and 404, which
// say this provider is misconfigured (key, permissions, model or path)
// while another may answer. 400, 413, 422 and other 4xx blame the
// request, which another provider would most likely refuse too.
func StatusRetryable(status int) bool {
	switch {
	case status >= 500:
		return true
	case status == http.StatusRequestTimeout, status == http.StatusConflict, status == http.StatusTooEarly,
		status == http.StatusTooManyRequests, status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusNotFound:
		return true
	}
	return false
}

// Error is a failure the provider itself reported: a non-2xx answer, or an
// error event inside a streamed answer. The anthropic and dify adapters
// return it; its text never contains an API key.
type Error struct {
	Backend    string // kind of API, e.g. "anthropic": the prefix of the error text
	Provider   string // configured provider id
	StatusCode int    // HTTP status, or the status an error event names; 0 if none
	InStream   bool   // reported as an event inside a 200 stream
	Type       string // the provider's error type or code, e.g. "overloaded_error"
	Message    string // the provider's message, key redacted, shortened
	// Retry says whether another attempt may succeed (see RetryHinter);
	// adapters set it from the status and the provider's error type.
	Retry bool
	// RetryAfter is how long the provider asked callers to wait, from
	// Retry-After; 0 if it did not say.
	RetryAfter time.Duration
}

// Error describes the failure: backend, status or event, type, message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Backend + ": ")
	switch {
	case e.InStream && e.StatusCode != 0:
		fmt.Fprintf(&b, "error event in stream (status %d)", e.StatusCode)
	case e.InStream:
		b.WriteString("error event in stream")
	default:
		fmt.Fprintf(&b, "status %d", e.StatusCode)
		if text := http.StatusText(e.StatusCode); text != "" {
			b.WriteString(" " + text)
		}
	}
	if e.Type != "" {
		b.WriteString(" (" + e.Type + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " [retry after %s]", e.RetryAfter)
	}
	return b.String()
}

// RetryHint implements RetryHinter.
func (e *Error) RetryHint() (bool, time.Duration) { return e.Retry, e.RetryAfter }

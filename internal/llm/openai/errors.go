package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/chatboxhq/chatbox/internal/llm"
)

// ErrTruncated means the stream ended without a finish reason: the answer
// is incomplete even if the connection closed cleanly.
var ErrTruncated = errors.New("stream ended without a finish reason (truncated)")

const (
	// maxErrorBody bounds how much of an error response is read: enough for
	// any API error object, not enough for a misbehaving proxy to hurt.
	maxErrorBody = 64 << 10
	// maxMessage bounds the provider message kept in an error, so that an
	// HTML error page does not flood the logs.
	maxMessage = 300
	// redactedMark replaces the API key wherever a message contains it.
	redactedMark = "[redacted]"
)

// APIError is an error reported by the provider itself: a non-2xx status,
// or an error event in the middle of the stream (StatusCode 0). Its text
// never contains the API key.
type APIError struct {
	Provider   string // Options.Name of the provider that failed
	StatusCode int    // HTTP status; 0 for an error event in the stream
	Type       string // the provider's error type, e.g. "server_error"
	Code       string // the provider's error code, e.g. "rate_limit_exceeded"
	Message    string // the provider's message, key redacted, shortened
	// RetryAfter is how long the provider asked callers to wait
	// (Retry-After or retry-after-ms); 0 if it did not say.
	RetryAfter time.Duration
}

// RetryHint implements llm.RetryHinter: a status error is retryable as
// llm.StatusRetryable says; an error event in the stream is the server's
// failure while generating, unless it says the request was invalid.
func (e *APIError) RetryHint() (retry bool, after time.Duration) {
	if e.StatusCode != 0 {
		return llm.StatusRetryable(e.StatusCode), e.RetryAfter
	}
	return e.Type != "invalid_request_error", e.RetryAfter
}

// Error describes the failure with its status and the provider's message.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("openai: ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "status %d", e.StatusCode)
		if text := http.StatusText(e.StatusCode); text != "" {
			b.WriteString(" " + text)
		}
	} else {
		b.WriteString("error event in stream")
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// statusMiddleware turns every non-2xx response into an *APIError built from
// the body, whatever its shape (OpenAI's error object, a bare string, an
// HTML page from a proxy). The SDK's own error would be used otherwise, and
// its text carries only the status; for bodies it cannot parse it returns
// a JSON error that loses the status altogether.
//
// The SDK treats an error from middleware like a connection error, which it
// would retry; that is one more reason New turns retries off.
func (p *Provider) statusMiddleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err != nil || (res.StatusCode >= 200 && res.StatusCode <= 299) {
		return res, err
	}
	defer res.Body.Close()
	// A failed read still leaves the status, which is the important part.
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	typ, code, msg := parseErrorBody(body)
	return nil, &APIError{
		Provider:   p.name,
		StatusCode: res.StatusCode,
		Type:       p.clean(typ),
		Code:       p.clean(code),
		Message:    p.clean(msg),
		RetryAfter: llm.RetryAfter(res.Header, time.Now()),
	}
}

// eventError converts an error event received mid-stream into an *APIError.
func (p *Provider) eventError(err error) (*APIError, bool) {
	var se *ssestream.StreamError
	if !errors.As(err, &se) {
		return nil, false
	}
	typ, code, msg := parseErrorBody(se.Event.Data)
	if msg == "" {
		msg = "no message"
	}
	return &APIError{
		Provider: p.name,
		Type:     p.clean(typ),
		Code:     p.clean(code),
		Message:  p.clean(msg),
	}, true
}

// parseErrorBody extracts the type, code and message from an error body in
// the shapes compatible servers use: {"error":{"message":...}},
// {"error":"..."}, {"message":...} (vLLM) or {"detail":...}; any other body
// is returned whole as the message.
func parseErrorBody(body []byte) (typ, code, msg string) {
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message json.RawMessage `json:"message"`
		Detail  json.RawMessage `json:"detail"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return "", "", string(body)
	}
	var obj struct {
		Message json.RawMessage `json:"message"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if len(env.Error) > 0 && json.Unmarshal(env.Error, &obj) == nil {
		return jsonText(obj.Type), jsonText(obj.Code), jsonText(obj.Message)
	}
	if s := jsonText(env.Error); s != "" {
		return jsonText(env.Type), jsonText(env.Code), s
	}
	if s := jsonText(env.Message); s != "" {
		return jsonText(env.Type), jsonText(env.Code), s
	}
	if s := jsonText(env.Detail); s != "" {
		return "", "", s
	}
	return "", "", string(body)
}

// jsonText renders a JSON value as text: strings unquoted, null as "",
// anything else (a numeric code, a nested object) as compact JSON.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// clean makes provider text safe to put in an error: the API key is
// redacted first (so shortening can never leave part of it), then
// whitespace is collapsed and the text shortened.
func (p *Provider) clean(s string) string {
	s = p.redactString(s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// redactString replaces every occurrence of the API key in s.
func (p *Provider) redactString(s string) string {
	if p.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, p.apiKey, redactedMark)
}

// redact returns err unchanged unless its text contains the API key (a
// transport error quoting a URL the key was embedded in, say); then it
// returns an error with the key replaced. The original is deliberately not
// reachable through Unwrap, since it would print the key.
func (p *Provider) redact(err error) error {
	if p.apiKey == "" || !strings.Contains(err.Error(), p.apiKey) {
		return err
	}
	return redactedError(p.redactString(err.Error()))
}

// redactedError is an error whose text has had the API key removed.
type redactedError string

func (e redactedError) Error() string { return string(e) }

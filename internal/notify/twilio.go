package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TwilioConfig configures the Twilio SMS sender.
type TwilioConfig struct {
	AccountSID string
	AuthToken  string
	From       string // the sending number, E.164
	// BaseURL is the API's origin; "" means the public Twilio API. Tests
	// point it at a local fake.
	BaseURL string
	// Client makes the requests; nil means one with a 30s timeout.
	Client *http.Client
}

// twilioAPI is the public Twilio REST API.
const twilioAPI = "https://api.twilio.com"

// TwilioSender sends text messages through Twilio's Messages API: one POST
// per message, authenticated with the account SID and auth token. Another
// SMS provider is another Sender.
type TwilioSender struct {
	cfg      TwilioConfig
	endpoint string
}

// NewTwilioSender checks cfg and returns a sender.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("notify: twilio: account SID, auth token and sending number are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = twilioAPI
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("notify: twilio: base URL is not an http(s) URL")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &TwilioSender{
		cfg:      cfg,
		endpoint: strings.TrimSuffix(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json",
	}, nil
}

// Send creates one message to m.To with m.Short as its body.
func (s *TwilioSender) Send(ctx context.Context, m Message) error {
	form := url.Values{"To": {m.To}, "From": {s.cfg.From}, "Body": {m.Short}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Permanent(fmt.Errorf("twilio: build request: %w", s.scrub(err)))
	}
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("twilio: send: %w", s.scrub(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("twilio: read response (HTTP %d): %w", resp.StatusCode, s.scrub(err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return s.scrub(twilioError(resp.StatusCode, resp.Header.Get("Retry-After"), body))
}

// twilioError turns a refused request into an error that says whether to
// retry: 429 (too many requests) after the delay Twilio asks for, 5xx and
// 408 with backoff, 401 and 403 too (credentials can be fixed while the
// alert waits); any other 4xx (an invalid number, an unverified recipient
// on a trial account) is permanent. body is untrusted.
func twilioError(status int, retryAfter string, body []byte) error {
	var apiErr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	msg := http.StatusText(status)
	if json.Unmarshal(body, &apiErr) == nil && apiErr.Message != "" {
		msg = oneLine(apiErr.Message, 300)
		if apiErr.Code != 0 {
			msg += " (Twilio error " + strconv.Itoa(apiErr.Code) + ")"
		}
	}
	err := fmt.Errorf("twilio: HTTP %d: %s", status, msg)
	switch {
	case status == http.StatusTooManyRequests:
		return RetryAfter(err, parseRetryAfter(retryAfter, time.Now()))
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusUnauthorized, status == http.StatusForbidden:
		return err
	case status >= 400:
		return Permanent(err)
	}
	return err // 1xx, 3xx: unexpected; try again later
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date),
// bounded to an hour; 0 if absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), time.Hour)
}

// scrub removes the account SID and auth token from err's text: the
// request URL holds the SID, and net/http quotes URLs in its errors.
func (s *TwilioSender) scrub(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	clean := strings.NewReplacer(s.cfg.AccountSID, "AC[redacted]", s.cfg.AuthToken, "[redacted]").Replace(text)
	if clean == text {
		return err
	}
	return scrubbedError{msg: clean, err: err}
}

// scrubbedError shows a cleaned message while keeping the chain for
// errors.Is and errors.As (Permanent, RetryAfter).
type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }

package notify

import (
	"context"
	"errors"
	"time"
)

// Message is one rendered notification for one recipient, as a Sender
// receives it.
type Message struct {
	// ID is the notification's id, the same on every attempt: email uses it
	// for the Message-ID header, so a repeat shows as one mail.
	ID        string
	Event     EventType
	Channel   Channel
	To        string // address or E.164 number; "" for Log
	SessionID string
	UserID    string
	Subject   string // one line
	Text      string // plain-text body
	HTML      string // HTML body, every user-supplied part escaped
	Short     string // SMS text: one GSM-7 segment (160 characters) at most
	Link      string // the admin console link; "" without ADMIN_PANEL_URL
}

// Sender delivers messages over one channel. Send returns nil only once the
// channel has accepted the message (the mail server queued it, the SMS API
// created it). Its error says whether trying again can help: wrap it with
// Permanent when it cannot (a recipient refused for good), and with
// RetryAfter when the service asked for a pause. Send honours ctx and must
// be safe for concurrent use. Errors must not contain credentials.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Permanent marks err as final: the notification is given up at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// RetryAfter marks err as temporary, with the service asking to wait at
// least d before the next attempt.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return retryAfterError{err, d}
}

type retryAfterError struct {
	error
	after time.Duration
}

func (e retryAfterError) Unwrap() error { return e.error }

// retryHint returns the wait requested by a RetryAfter error in err's chain.
func retryHint(err error) time.Duration {
	var r retryAfterError
	if errors.As(err, &r) {
		return r.after
	}
	return 0
}

package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTP encryption modes (SMTP_TLS).
const (
	SMTPStartTLS    = "starttls" // plain connection, then STARTTLS, which the server must offer
	SMTPImplicitTLS = "tls"      // TLS from the first byte
	SMTPNoTLS       = "none"     // no encryption
)

// EmailConfig configures the SMTP sender.
type EmailConfig struct {
	Host     string
	Port     int
	Username string // "" for no AUTH
	Password string
	TLS      string // SMTPStartTLS, SMTPImplicitTLS or SMTPNoTLS
	From     string // the From header, e.g. "Chatbox <noreply@example.com>"
	// TLSConfig verifies the server; nil means the system roots with Host
	// as the server name. Tests pass their own CA.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each SMTP command; 0 means 15s. The
	// context passed to Send bounds the whole exchange as well.
	Timeout time.Duration
}

// EmailSender sends notifications by SMTP, through go-mail. Each Send opens
// its own connection: alerts are rare, and a connection kept open would
// only time out between them.
type EmailSender struct {
	cfg EmailConfig
}

// NewEmailSender checks cfg and returns a sender. It does not connect: the
// mail server may well be down at start-up, and the outbox waits for it.
func NewEmailSender(cfg EmailConfig) (*EmailSender, error) {
	switch {
	case cfg.Host == "":
		return nil, errors.New("notify: email: no SMTP host")
	case cfg.Port < 1 || cfg.Port > 65535:
		return nil, fmt.Errorf("notify: email: port %d out of range", cfg.Port)
	case cfg.TLS != SMTPStartTLS && cfg.TLS != SMTPImplicitTLS && cfg.TLS != SMTPNoTLS:
		return nil, fmt.Errorf("notify: email: TLS mode %q is not starttls, tls or none", cfg.TLS)
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("notify: email: sender %q: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cfg.TLSConfig = cfg.TLSConfig.Clone()
	if cfg.TLSConfig.ServerName == "" {
		cfg.TLSConfig.ServerName = cfg.Host
	}
	return &EmailSender{cfg: cfg}, nil
}

// client builds a go-mail client for one send.
func (s *EmailSender) client() (*mail.Client, error) {
	opts := []mail.Option{
		mail.WithPort(s.cfg.Port),
		mail.WithTimeout(s.cfg.Timeout),
		mail.WithTLSConfig(s.cfg.TLSConfig),
	}
	switch s.cfg.TLS {
	case SMTPStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case SMTPImplicitTLS:
		opts = append(opts, mail.WithSSL(), mail.WithTLSPolicy(mail.NoTLS))
	case SMTPNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.cfg.Username != "" {
		// Auto-discovery picks the strongest mechanism the server offers,
		// and on an unencrypted connection never one that sends the
		// password in clear (PLAIN, LOGIN).
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	return mail.NewClient(s.cfg.Host, opts...)
}

// Send delivers m to m.To as a multipart/alternative mail (text and HTML).
func (s *EmailSender) Send(ctx context.Context, m Message) error {
	msg, err := s.compose(m)
	if err != nil {
		return Permanent(err)
	}
	c, err := s.client()
	if err != nil {
		return Permanent(fmt.Errorf("smtp client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// compose builds the mail. The Message-ID derives from the notification
// id, so a repeat after a crash is recognisably the same mail; the
// Auto-Submitted header keeps out-of-office replies away (RFC 3834).
func (s *EmailSender) compose(m Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", s.cfg.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(m.ID + "@chatbox.notifications")
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(mail.Header("X-Chatbox-Event"), string(m.Event))
	if m.SessionID != "" {
		msg.SetGenHeader(mail.Header("X-Chatbox-Session"), m.SessionID)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}

// classifySMTP marks a refusal the server says is final (a 5xx reply to
// MAIL, RCPT or DATA: unknown recipient, message rejected) as permanent.
// Everything else is retried: connection failures, 4xx replies, and AUTH
// failures too, since credentials can be fixed while the alert waits.
func classifySMTP(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return Permanent(fmt.Errorf("smtp: %w", err))
	}
	return fmt.Errorf("smtp: %w", err)
}

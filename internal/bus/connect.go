package bus

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Reconnect and keepalive policy shared by every connection this package
// makes.
const (
	reconnectMin = 250 * time.Millisecond
	reconnectMax = 10 * time.Second
	// A dead server is noticed after about pingInterval*maxPingsOut; the
	// nats.go default (2 minutes each) would leave Ping reporting a stale
	// "connected" for minutes after a half-open TCP connection.
	pingInterval = 10 * time.Second
	maxPingsOut  = 3
)

// Connect connects to an external NATS server or cluster at natsURL (one URL
// or a comma-separated list, as nats.go accepts), naming the connection name
// so it shows in the server's monitoring.
//
// The first connection attempt must succeed, so a wrong URL or credentials
// fail start-up with a clear error. After that the connection reconnects
// forever with capped exponential backoff and jitter, and logs disconnects,
// reconnects and slow consumers to logger (nil: discard). Neither logs nor
// returned errors contain the URL's user info (password or token).
func Connect(natsURL, name string, logger *slog.Logger) (*nats.Conn, error) {
	safe, err := redactURLs(natsURL)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("component", "bus", "nats_url", safe)
	nc, err := nats.Connect(natsURL, connOptions(name, log)...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to %s: %w", safe, scrubbed(err, natsURL))
	}
	log.Info("bus: connected to NATS", "server", redactURL(nc.ConnectedUrl()))
	return nc, nil
}

// connOptions are the options of every connection this package makes.
func connOptions(name string, log *slog.Logger) []nats.Option {
	return []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay),
		nats.PingInterval(pingInterval),
		nats.MaxPingsOutstanding(maxPingsOut),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// err is nil for a disconnect this process asked for.
			if err != nil {
				log.Warn("bus: disconnected from NATS; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("bus: reconnected to NATS", "server", redactURL(nc.ConnectedUrl()))
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			log.Info("bus: NATS connection closed")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			logAsyncError(log, sub, err)
		}),
	}
}

// logAsyncError reports errors nats.go finds outside any call, chiefly slow
// consumers: a subscription whose handler fell behind its pending limits
// and lost events. The bus is at most once, so this is not fatal, but it
// means a handler blocks too long and clients will be repairing gaps.
func logAsyncError(log *slog.Logger, sub *nats.Subscription, err error) {
	attrs := []any{"err", err}
	if sub != nil {
		attrs = append(attrs, "subject", sub.Subject)
		if dropped, derr := sub.Dropped(); derr == nil {
			attrs = append(attrs, "dropped_total", dropped)
		}
	}
	if errors.Is(err, nats.ErrSlowConsumer) {
		log.Warn("bus: slow consumer, events dropped", attrs...)
		return
	}
	log.Error("bus: asynchronous NATS error", attrs...)
}

// reconnectDelay is called after every failed pass over the server list:
// 250ms doubling to 10s, then "equal jitter" (half fixed, half random) so
// instances cut off together do not reconnect in lockstep.
func reconnectDelay(attempts int) time.Duration {
	d := reconnectMax
	if attempts < 8 { // 250ms << 6 already exceeds the cap; avoids overflow
		d = min(reconnectMin<<max(attempts-1, 0), reconnectMax)
	}
	return d/2 + rand.N(d/2+1)
}

// redactURLs validates a nats.go server list and returns it with user info
// replaced, safe to log. Its errors never contain the input, which may
// hold credentials.
func redactURLs(list string) (string, error) {
	var out []string
	for i, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := parseServerURL(raw)
		if err != nil {
			return "", fmt.Errorf("bus: NATS URL %d is malformed: %w", i+1, err)
		}
		out = append(out, redacted(u))
	}
	if len(out) == 0 {
		return "", errors.New("bus: no NATS URL")
	}
	return strings.Join(out, ","), nil
}

// redactURL is redactURLs for one URL already accepted by nats.go.
func redactURL(raw string) string {
	u, err := parseServerURL(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return redacted(u)
}

// parseServerURL parses like nats.go, which defaults the scheme. On error
// it returns only the parser's reason: url.Error would quote the whole URL.
func parseServerURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "nats://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return nil, uerr.Err
		}
		return nil, errors.New("unparsable")
	}
	return u, nil
}

// redacted hides all user info, not just the password: NATS token auth puts
// the token where a user name would be.
func redacted(u *url.URL) string {
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

// scrubbed returns err with every URL's user info removed from its text,
// keeping it matchable with errors.Is and errors.As. nats.go errors do not
// normally quote URLs, but one leaked password is one too many.
func scrubbed(err error, list string) error {
	msg := err.Error()
	clean := msg
	for raw := range strings.SplitSeq(list, ",") {
		u, perr := parseServerURL(strings.TrimSpace(raw))
		if perr != nil || u.User == nil {
			continue
		}
		secrets := []string{u.User.String()}
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		} else {
			secrets = append(secrets, u.User.Username()) // a token
		}
		for _, secret := range secrets {
			if secret != "" {
				clean = strings.ReplaceAll(clean, secret, "REDACTED")
			}
		}
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

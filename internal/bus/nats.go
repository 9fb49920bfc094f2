package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Defaults for Options.
const (
	DefaultSubjectPrefix = "chatbox"
	// DefaultPendingMsgs and DefaultPendingBytes bound what one subscription
	// may queue before NATS drops its events as a slow consumer. They are
	// generous because a streamed reply is many small deltas, and a
	// subscriber briefly stalled (GC, a slow client write) should catch up
	// rather than drop; a subscriber that is really stuck should drop
	// rather than grow without limit.
	DefaultPendingMsgs  = 65536
	DefaultPendingBytes = 64 << 20
	// DefaultFlushTimeout bounds the round trip Subscribe makes to confirm
	// its subscription and the flush Close makes before closing.
	DefaultFlushTimeout = 5 * time.Second
)

// ErrClosed is returned by a Bus after Close.
var ErrClosed = errors.New("bus: closed")

// Options configure a Bus. The zero value is usable.
type Options struct {
	// SubjectPrefix is one or more NATS tokens joined by dots, shared by
	// every instance of one deployment. Default DefaultSubjectPrefix.
	SubjectPrefix string
	// Logger receives skipped events and unsubscribe failures. Default:
	// discard.
	Logger *slog.Logger
	// OwnsConn makes Close flush and close the connection. Leave it false
	// when the connection is shared with other users, who then close it
	// themselves; Close still ends this Bus's subscriptions either way.
	OwnsConn bool
	// PendingMsgs and PendingBytes are each subscription's pending limits.
	// Default DefaultPendingMsgs and DefaultPendingBytes.
	PendingMsgs  int
	PendingBytes int
	// FlushTimeout: default DefaultFlushTimeout.
	FlushTimeout time.Duration
}

// Bus is chat.Bus over NATS core subjects "<prefix>.session.<sessionID>".
// It is safe for concurrent use.
type Bus struct {
	nc           *nats.Conn
	prefix       string
	log          *slog.Logger
	ownsConn     bool
	pendingMsgs  int
	pendingBytes int
	flushTimeout time.Duration
	// err is a configuration error found by New, returned by every method
	// so a misconfigured instance never reports ready.
	err error

	closed atomic.Bool
	mu     sync.Mutex // guards subs and orders Subscribe against Close
	subs   map[*subscription]struct{}
}

var _ chat.Bus = (*Bus)(nil)

// New returns a Bus publishing and subscribing on nc. Connections made by
// Connect or EmbeddedServer.Connect also log reconnects and slow consumers;
// a connection made elsewhere should install such handlers itself.
//
// New does not fail: an invalid prefix or a nil nc makes every method
// return the error, so a misconfigured Bus cannot pass readiness.
func New(nc *nats.Conn, opts Options) *Bus {
	b := &Bus{
		nc:           nc,
		prefix:       opts.SubjectPrefix,
		log:          opts.Logger,
		ownsConn:     opts.OwnsConn,
		pendingMsgs:  opts.PendingMsgs,
		pendingBytes: opts.PendingBytes,
		flushTimeout: opts.FlushTimeout,
		subs:         make(map[*subscription]struct{}),
	}
	if b.prefix == "" {
		b.prefix = DefaultSubjectPrefix
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.pendingMsgs <= 0 {
		b.pendingMsgs = DefaultPendingMsgs
	}
	if b.pendingBytes <= 0 {
		b.pendingBytes = DefaultPendingBytes
	}
	if b.flushTimeout <= 0 {
		b.flushTimeout = DefaultFlushTimeout
	}
	switch {
	case nc == nil:
		b.err = errors.New("bus: no NATS connection")
	default:
		b.err = validPrefix(b.prefix)
	}
	return b
}

// subject returns the subject of a session's events.
func (b *Bus) subject(sessionID string) (string, error) {
	if err := validSessionID(sessionID); err != nil {
		return "", err
	}
	return b.prefix + ".session." + sessionID, nil
}

// usable returns why the Bus cannot be used, or nil.
func (b *Bus) usable() error {
	if b.err != nil {
		return b.err
	}
	if b.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Publish sends ev to every current subscriber of ev.SessionID on every
// instance. It returns once the event is queued on the connection, not when
// it is delivered: delivery is at most once. An invalid session id or a
// missing type is rejected with an error wrapping chat.ErrInvalid; an event
// above the server's payload limit (1 MiB by default) is rejected by NATS.
//
// Publish does not block on the network, so ctx is only checked on entry.
// While the connection is reconnecting, events are buffered by nats.go and
// sent after it reconnects, or dropped if its buffer fills.
func (b *Bus) Publish(ctx context.Context, ev chat.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bus: publish: %w", err)
	}
	if err := b.usable(); err != nil {
		return err
	}
	if ev.Type == "" {
		return fmt.Errorf("bus: publish: event has no type: %w", chat.ErrInvalid)
	}
	subj, err := b.subject(ev.SessionID)
	if err != nil {
		return err
	}
	data, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	if err := b.nc.Publish(subj, data); err != nil {
		return fmt.Errorf("bus: publish %s event to session %s: %w", ev.Type, ev.SessionID, err)
	}
	return nil
}

// Subscribe calls fn for each event of sessionID, one call at a time and in
// the order each publisher sent them, until unsubscribe is called.
//
// When the connection is up, Subscribe waits for the server to confirm the
// subscription, so events published anywhere after it returns reach fn.
// While reconnecting it returns without that confirmation: nats.go replays
// the subscription on reconnect, and events published meanwhile are lost,
// as at-most-once delivery allows.
//
// After unsubscribe returns, fn is not running and is never called again;
// unsubscribe waits for a call in progress to finish, so it must not be
// called from fn (nor from another handler that fn could be waiting on).
// Calling unsubscribe more than once is harmless.
func (b *Bus) Subscribe(sessionID string, fn func(chat.Event)) (unsubscribe func(), err error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("bus: subscribe: nil handler: %w", chat.ErrInvalid)
	}
	subj, err := b.subject(sessionID)
	if err != nil {
		return nil, err
	}

	s := &subscription{sessionID: sessionID, fn: fn, log: b.log}
	ns, err := b.nc.Subscribe(subj, s.deliver)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe to session %s: %w", sessionID, err)
	}
	s.ns = ns
	if err := ns.SetPendingLimits(b.pendingMsgs, b.pendingBytes); err != nil {
		s.stop()
		return nil, fmt.Errorf("bus: subscribe to session %s: set pending limits: %w", sessionID, err)
	}
	if b.nc.IsConnected() {
		if err := b.nc.FlushTimeout(b.flushTimeout); err != nil {
			s.stop()
			return nil, fmt.Errorf("bus: subscribe to session %s: confirm with server: %w", sessionID, err)
		}
	}

	// Registering under mu, after checking closed under it, means Close
	// either sees this subscription or Subscribe sees Close.
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		s.stop()
		return nil, ErrClosed
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()

	return func() {
		s.stop()
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
	}, nil
}

// Ping returns nil while the connection is connected, and an error while it
// is disconnected, reconnecting or closed, or after Close. It does not
// touch the network: nats.go's own keepalive pings notice a dead server.
func (b *Bus) Ping() error {
	if err := b.usable(); err != nil {
		return err
	}
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("bus: NATS connection is %s", st)
	}
	return nil
}

// Close ends every subscription made through this Bus (waiting for running
// handlers, as unsubscribe does) and makes later calls fail with
// ErrClosed. If the Bus owns its connection (Options.OwnsConn), Close then
// flushes events still buffered and closes the connection; otherwise the
// connection is left open for its owner. Closing twice is harmless.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed.Swap(true) {
		b.mu.Unlock()
		return nil
	}
	subs := b.subs
	b.subs = nil
	b.mu.Unlock()

	for s := range subs {
		s.stop()
	}
	if !b.ownsConn || b.nc == nil {
		return nil
	}
	var err error
	if b.nc.IsConnected() {
		if ferr := b.nc.FlushTimeout(b.flushTimeout); ferr != nil {
			err = fmt.Errorf("bus: close: flush buffered events: %w", ferr)
		}
	}
	b.nc.Close()
	return err
}

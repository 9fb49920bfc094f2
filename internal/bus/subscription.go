package bus

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// subscription is one Subscribe call: one NATS subscription and its handler.
//
// nats.go runs each async subscription's callbacks one at a time on a
// goroutine of its own, which gives the per-subscription ordering and
// serialisation the chat.Bus contract asks for. What nats.go does not give
// is a clean stop: a message it took off the queue just before Unsubscribe
// can still be handed to the callback after Unsubscribe returns. mu closes
// that gap (see stop).
type subscription struct {
	sessionID string
	fn        func(chat.Event)
	log       *slog.Logger
	ns        *nats.Subscription // set once by Subscribe before anyone calls stop

	// mu is held while fn runs, and done is read under it, so once stop has
	// set done and then acquired mu no call can be running or start.
	mu   sync.Mutex
	done atomic.Bool
}

// deliver is the NATS callback. Undecodable messages are logged and
// skipped: the bus is at most once and the chat layer fills gaps from
// storage, so one bad message must not stop the stream.
func (s *subscription) deliver(m *nats.Msg) {
	if s.done.Load() {
		return // cheap early exit; the check that matters is under mu
	}
	ev, err := decodeEvent(m.Data)
	if err != nil {
		s.log.Warn("bus: skipping undecodable event", "subject", m.Subject, "bytes", len(m.Data), "err", err)
		return
	}
	if ev.SessionID != s.sessionID {
		s.log.Warn("bus: skipping event for another session", "subject", m.Subject, "event_session", truncate(ev.SessionID))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done.Load() {
		return
	}
	s.fn(ev)
}

// stop ends the subscription. When it returns, fn is not running and will
// never be called again. It must not be called from fn, which it would wait
// for. Calling stop more than once, concurrently or not, is safe.
func (s *subscription) stop() {
	if !s.done.Swap(true) {
		// Unsubscribing first discards messages NATS has queued for us;
		// done makes any already taken off the queue a no-op.
		if err := s.ns.Unsubscribe(); err != nil &&
			!errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
			s.log.Warn("bus: unsubscribe failed; the server drops the interest when the connection closes",
				"subject", s.ns.Subject, "err", err)
		}
	}
	// deliver holds mu for the whole of fn and checks done under it, and
	// done is set, so acquiring mu means no call is running and none will
	// start.
	s.mu.Lock()
	//lint:ignore SA2001 the empty critical section is the point: it waits for fn.
	s.mu.Unlock()
}

package ws

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/metrics"
)

// hub fans bus events of a session out to this instance's connections that
// joined it: one bus subscription per session with local connections, a set
// of connections per session (never one per session: a second tab must not
// deafen the first, and closing one must not unregister the other).
type hub struct {
	bus     chat.Bus
	metrics *metrics.Metrics

	mu     sync.Mutex
	topics map[string]*topic
}

type topic struct {
	conns       map[*conn]struct{}
	unsubscribe func()
	barrier     string        // token of the flush in progress, if any
	flushed     chan struct{} // closed when that barrier comes back
}

func newHub(bus chat.Bus, m *metrics.Metrics) *hub {
	return &hub{bus: bus, metrics: m, topics: make(map[string]*topic)}
}

// join adds c to the session's connections, subscribing to the session's
// events when c is the first local connection.
func (h *hub) join(sessionID string, c *conn) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.topics[sessionID]; ok {
		t.conns[c] = struct{}{}
		return nil
	}
	t := &topic{conns: map[*conn]struct{}{c: {}}}
	// The handler is bound to this topic, not to the map entry, so a
	// subscription being torn down never delivers to its successor's set.
	unsub, err := h.bus.Subscribe(sessionID, func(ev chat.Event) { h.dispatch(t, ev) })
	if err != nil {
		return fmt.Errorf("subscribe to session %s: %w", sessionID, err)
	}
	t.unsubscribe = unsub
	h.topics[sessionID] = t
	h.updateGauge()
	return nil
}

// leave removes c; the last connection to leave ends the subscription.
func (h *hub) leave(sessionID string, c *conn) {
	h.mu.Lock()
	t, ok := h.topics[sessionID]
	if !ok {
		h.mu.Unlock()
		return
	}
	delete(t.conns, c)
	if len(t.conns) > 0 {
		h.mu.Unlock()
		return
	}
	delete(h.topics, sessionID)
	if t.barrier != "" {
		t.barrier = ""
		close(t.flushed) // nobody left to flush to
	}
	h.updateGauge()
	h.mu.Unlock()
	// Outside the lock: unsubscribe may wait for a running handler, which
	// takes the lock in dispatch.
	t.unsubscribe()
}

// updateGauge sets chatbox_active_sessions_total: followed sessions, not
// counting the admin feed. Called with h.mu held.
func (h *hub) updateGauge() {
	n := len(h.topics)
	if _, ok := h.topics[chat.AdminFeed]; ok {
		n--
	}
	h.metrics.ActiveSessions.Set(float64(n))
}

func (h *hub) dispatch(t *topic, ev chat.Event) {
	h.mu.Lock()
	if ev.Type == chat.EventBarrier {
		if t.barrier != "" && ev.Barrier == t.barrier {
			t.barrier = ""
			close(t.flushed)
		}
		h.mu.Unlock()
		return
	}
	conns := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.enqueue(op{kind: opEvent, event: ev})
	}
}

// flush returns once every event this instance published before the call
// has been queued to the local connections following its session: it sends
// a barrier through the bus on each followed session and waits for each to
// come back, behind everything published earlier.
func (h *hub) flush(ctx context.Context) error {
	token := rand.Text()
	var waits []chan struct{}
	var sessions []string
	h.mu.Lock()
	for id, t := range h.topics {
		t.barrier, t.flushed = token, make(chan struct{})
		waits = append(waits, t.flushed)
		sessions = append(sessions, id)
	}
	h.mu.Unlock()
	for _, id := range sessions {
		if err := h.bus.Publish(ctx, chat.Event{Type: chat.EventBarrier, SessionID: id, Barrier: token}); err != nil {
			return fmt.Errorf("flush session %s: %w", id, err)
		}
	}
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return fmt.Errorf("flush: %w", ctx.Err())
		}
	}
	return nil
}

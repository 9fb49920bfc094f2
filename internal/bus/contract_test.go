package bus

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testBusContract checks the chat.Bus contract. newBuses returns two Bus
// values standing for two instances of the service; it is called once per
// subtest and must arrange their cleanup.
func testBusContract(t *testing.T, newBuses func(t *testing.T) (a, b chat.Bus)) {
	ctx := context.Background()

	t.Run("every subscriber on every instance receives every event", func(t *testing.T) {
		a, b := newBuses(t)
		recs := []*recorder{newRecorder(), newRecorder(), newRecorder(), newRecorder()}
		mustSubscribe(t, a, "s1", recs[0])
		mustSubscribe(t, a, "s1", recs[1])
		mustSubscribe(t, b, "s1", recs[2])
		mustSubscribe(t, b, "s1", recs[3])

		const perPublisher = 50
		for i := range perPublisher {
			for name, pub := range map[string]chat.Bus{"a": a, "b": b} {
				if err := pub.Publish(ctx, delta("s1", name, i)); err != nil {
					t.Fatalf("Publish from %s: %v", name, err)
				}
			}
		}
		for i, rec := range recs {
			evs := rec.waitN(t, 2*perPublisher)
			checkPerPublisherOrder(t, evs, map[string]int{"a": perPublisher, "b": perPublisher})
			if len(evs) != 2*perPublisher {
				t.Errorf("subscriber %d: %d events, want %d", i, len(evs), 2*perPublisher)
			}
		}
	})

	t.Run("preserves one publisher's order for 1000 events", func(t *testing.T) {
		a, b := newBuses(t)
		local, remote := newRecorder(), newRecorder()
		mustSubscribe(t, a, "s1", local)
		mustSubscribe(t, b, "s1", remote)
		const n = 1000
		for i := range n {
			if err := a.Publish(ctx, delta("s1", "a", i)); err != nil {
				t.Fatalf("Publish %d: %v", i, err)
			}
		}
		checkPerPublisherOrder(t, local.waitN(t, n), map[string]int{"a": n})
		checkPerPublisherOrder(t, remote.waitN(t, n), map[string]int{"a": n})
	})

	t.Run("does not deliver other sessions' events", func(t *testing.T) {
		a, b := newBuses(t)
		s1, s2, s1x := newRecorder(), newRecorder(), newRecorder()
		mustSubscribe(t, b, "s1", s1)
		mustSubscribe(t, b, "s2", s2)
		mustSubscribe(t, b, "s1x", s1x)
		// Published before the s1 marker by the same publisher, so had they
		// been misrouted to s1 they would have arrived before it.
		for i := range 3 {
			if err := a.Publish(ctx, delta("s2", "a", i)); err != nil {
				t.Fatalf("Publish s2: %v", err)
			}
		}
		if err := a.Publish(ctx, delta("s1", "a", 0)); err != nil {
			t.Fatalf("Publish s1: %v", err)
		}
		if evs := s1.waitN(t, 1); len(evs) != 1 || evs[0].SessionID != "s1" {
			t.Fatalf("s1 subscriber got %+v, want only the s1 event", evs)
		}
		for _, ev := range s2.waitN(t, 3) {
			if ev.SessionID != "s2" {
				t.Fatalf("s2 subscriber got an event of %q", ev.SessionID)
			}
		}
		if err := a.Publish(ctx, delta("s1x", "a", 0)); err != nil {
			t.Fatalf("Publish s1x: %v", err)
		}
		if evs := s1x.waitN(t, 1); len(evs) != 1 {
			t.Fatalf("s1x subscriber got %d events, want 1", len(evs))
		}
	})

	t.Run("unsubscribe stops delivery", func(t *testing.T) {
		a, b := newBuses(t)
		control := newRecorder()
		mustSubscribe(t, b, "s1", control)
		var unsubscribed atomic.Bool
		var before, after atomic.Int64
		unsub, err := b.Subscribe("s1", func(chat.Event) {
			if unsubscribed.Load() {
				after.Add(1)
			} else {
				before.Add(1)
			}
		})
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		for i := range 10 {
			if err := a.Publish(ctx, delta("s1", "a", i)); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
		control.waitN(t, 10)
		unsub()
		unsubscribed.Store(true)
		unsub() // a second call is harmless

		for i := 10; i < 20; i++ {
			if err := a.Publish(ctx, delta("s1", "a", i)); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
		// Both subscriptions share b's connection and a's order, so once
		// control has event 19 the stopped handler would have had it too.
		control.waitN(t, 20)
		if n := after.Load(); n != 0 {
			t.Fatalf("handler called %d times after unsubscribe returned", n)
		}
		// Delivery before unsubscribe is at most once, so only an upper bound
		// holds; on one healthy server every event arrives.
		if n := before.Load(); n > 10 {
			t.Fatalf("handler called %d times for 10 events", n)
		}
	})

	t.Run("rejects invalid session ids", func(t *testing.T) {
		a, _ := newBuses(t)
		for _, id := range invalidSessionIDs() {
			if err := a.Publish(ctx, delta(id, "a", 0)); err == nil {
				t.Errorf("Publish accepted session id %q", id)
			}
			unsub, err := a.Subscribe(id, func(chat.Event) {})
			if err == nil {
				unsub()
				t.Errorf("Subscribe accepted session id %q", id)
			}
		}
	})

	t.Run("round trips every field", func(t *testing.T) {
		a, b := newBuses(t)
		rec := newRecorder()
		mustSubscribe(t, b, "s1", rec)
		sent := sampleEvents("s1")
		for _, ev := range sent {
			if err := a.Publish(ctx, ev); err != nil {
				t.Fatalf("Publish %s: %v", ev.Type, err)
			}
		}
		got := rec.waitN(t, len(sent))
		if !reflect.DeepEqual(got, sent) {
			for i := range sent {
				if !reflect.DeepEqual(got[i], sent[i]) {
					t.Errorf("event %d:\n got %s\nwant %s", i, describe(got[i]), describe(sent[i]))
				}
			}
		}
	})

	t.Run("ping reports a live connection", func(t *testing.T) {
		a, b := newBuses(t)
		for name, bus := range map[string]chat.Bus{"a": a, "b": b} {
			if err := bus.Ping(); err != nil {
				t.Errorf("%s.Ping: %v", name, err)
			}
		}
	})

	t.Run("close ends that instance only", func(t *testing.T) {
		a, b := newBuses(t)
		closedRec, rec := newRecorder(), newRecorder()
		mustSubscribe(t, a, "s1", closedRec)
		mustSubscribe(t, b, "s1", rec)
		if err := a.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := a.Publish(ctx, delta("s1", "a", 0)); err == nil {
			t.Error("Publish after Close succeeded")
		}
		if _, err := a.Subscribe("s1", func(chat.Event) {}); err == nil {
			t.Error("Subscribe after Close succeeded")
		}
		if err := a.Ping(); err == nil {
			t.Error("Ping after Close succeeded")
		}
		// The other instance is unaffected, even when it shares a's
		// connection.
		if err := b.Ping(); err != nil {
			t.Fatalf("b.Ping after a.Close: %v", err)
		}
		if err := b.Publish(ctx, delta("s1", "b", 0)); err != nil {
			t.Fatalf("b.Publish after a.Close: %v", err)
		}
		rec.waitN(t, 1)
		if n := len(closedRec.snapshot()); n != 0 {
			t.Fatalf("closed instance's subscriber got %d events", n)
		}
	})

	t.Run("publish honours a cancelled context", func(t *testing.T) {
		a, _ := newBuses(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := a.Publish(cctx, delta("s1", "a", 0)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Publish with cancelled context: err = %v, want context.Canceled", err)
		}
	})
}

// checkPerPublisherOrder checks that evs holds, for each publisher (the
// delta's StreamID), exactly indexes 0..want-1 in order.
func checkPerPublisherOrder(t *testing.T, evs []chat.Event, want map[string]int) {
	t.Helper()
	next := make(map[string]int)
	for _, ev := range evs {
		if ev.Delta == nil {
			t.Fatalf("unexpected %s event", ev.Type)
		}
		pub := ev.Delta.StreamID
		if ev.Delta.Index != next[pub] {
			t.Fatalf("publisher %s: got index %d, want %d (reordered, lost or duplicated)", pub, ev.Delta.Index, next[pub])
		}
		next[pub]++
	}
	for pub, n := range want {
		if next[pub] != n {
			t.Fatalf("publisher %s: got %d events, want %d", pub, next[pub], n)
		}
	}
}

func invalidSessionIDs() []string {
	return []string{
		"", ".", "a.b", "a.", ".a", "*", "a*", ">", "a>", "a b", " a", "a\tb",
		"a\nb", "a\r", "a\x00b", "a\u00a0b", "a\u2028b", "\xff", strings.Repeat("x", maxTokenLen+1),
	}
}

// sampleEvents returns one event of each type with every field set,
// including times at the domain's precision and the zero EndedAt of an
// active session.
func sampleEvents(session string) []chat.Event {
	t0 := chat.Millis(time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC))
	return []chat.Event{
		{Type: chat.EventMessage, SessionID: session, Message: &chat.Message{
			MessageMeta: chat.MessageMeta{
				ID: "m1", SessionID: session, Seq: 42, ClientMsgID: "c-1", AuthorID: "u-1",
				Sender: chat.SenderAI, SenderName: "Assistant", ReplyTo: 41, ModelID: "gpt-x",
				Interrupted: true, TokensIn: 1234, TokensOut: 567, CreatedAt: t0,
			},
			Content: "héllo 世界 🙂 \"quoted\" \n new line",
		}},
		{Type: chat.EventMessage, SessionID: session, Message: &chat.Message{
			MessageMeta: chat.MessageMeta{ID: "m2", SessionID: session, Seq: 43, Sender: chat.SenderUser, CreatedAt: t0},
		}},
		{Type: chat.EventDelta, SessionID: session, Delta: &chat.Delta{
			StreamID: "st-1", ReplyTo: 41, Index: 7, Text: " wörld", Done: true,
		}},
		{Type: chat.EventDelta, SessionID: session, Delta: &chat.Delta{
			StreamID: "st-2", ReplyTo: 43, Index: 3, Done: true, Error: "assistant unavailable",
		}},
		{Type: chat.EventStatus, SessionID: session, Session: &chat.Session{
			ID: session, UserID: "u-1", UserName: "Ada", ModelID: "gpt-x", Status: chat.StatusEnded,
			EndReason: chat.EndByIdle, LastSeq: 43, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute),
			EndedAt: t0.Add(2 * time.Minute),
		}},
		{Type: chat.EventStatus, SessionID: session, Session: &chat.Session{
			ID: session, UserID: "u-1", Status: chat.StatusActive, CreatedAt: t0, UpdatedAt: t0,
		}},
	}
}

// describe prints an event with its payload, for failure messages.
func describe(ev chat.Event) string {
	out := fmt.Sprintf("%s %s", ev.Type, ev.SessionID)
	if ev.Message != nil {
		out += fmt.Sprintf(" message=%+v", *ev.Message)
	}
	if ev.Delta != nil {
		out += fmt.Sprintf(" delta=%+v", *ev.Delta)
	}
	if ev.Session != nil {
		out += fmt.Sprintf(" session=%+v", *ev.Session)
	}
	return out
}

// The contract runs against three deployments of the NATS Bus.

func TestBusContractSharedInProcessConn(t *testing.T) {
	// Two Bus values on one connection: the Bus must not assume it is the
	// connection's only user, and neither owns it.
	testBusContract(t, func(t *testing.T) (chat.Bus, chat.Bus) {
		nc := connectTo(t, startServer(t, EmbeddedOptions{}), "shared")
		return newBus(t, nc, Options{}), newBus(t, nc, Options{})
	})
}

func TestBusContractInProcessConns(t *testing.T) {
	testBusContract(t, func(t *testing.T) (chat.Bus, chat.Bus) {
		srv := startServer(t, EmbeddedOptions{})
		return newBus(t, connectTo(t, srv, "a"), Options{OwnsConn: true}),
			newBus(t, connectTo(t, srv, "b"), Options{OwnsConn: true})
	})
}

func TestBusContractTCPConns(t *testing.T) {
	// Two connections over loopback TCP, as two instances sharing an
	// external server would have.
	testBusContract(t, func(t *testing.T) (chat.Bus, chat.Bus) {
		srv := startServer(t, EmbeddedOptions{Listen: "127.0.0.1:0"})
		connect := func(name string) *nats.Conn {
			nc, err := Connect(srv.ClientURL(), name, nil)
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			t.Cleanup(nc.Close)
			return nc
		}
		return newBus(t, connect("a"), Options{OwnsConn: true}), newBus(t, connect("b"), Options{OwnsConn: true})
	})
}

func TestPingFailsAfterServerShutdown(t *testing.T) {
	for name, listen := range map[string]string{"in-process": "", "tcp": "127.0.0.1:0"} {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t, EmbeddedOptions{Listen: listen})
			nc := connectTo(t, srv, "pinger")
			b := newBus(t, nc, Options{})
			if err := b.Ping(); err != nil {
				t.Fatalf("Ping while connected: %v", err)
			}
			changed := nc.StatusChanged(nats.DISCONNECTED, nats.RECONNECTING, nats.CLOSED)
			t.Cleanup(func() { nc.RemoveStatusListener(changed) })
			srv.Shutdown()
			waitStatus(t, changed)
			if err := b.Ping(); err == nil {
				t.Fatal("Ping succeeded after the server shut down")
			}
		})
	}
}

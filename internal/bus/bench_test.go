package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// BenchmarkPublishSubscribe measures one event from Publish on one
// connection to the handler on another. Publishing waits for delivery
// every window events so the subscriber never exceeds its pending limits:
// a dropped event would otherwise stall the benchmark.
func BenchmarkPublishSubscribe(b *testing.B) {
	for name, listen := range map[string]string{"in-process": "", "tcp": "127.0.0.1:0"} {
		b.Run(name, func(b *testing.B) {
			srv := startServer(b, EmbeddedOptions{Listen: listen})
			pub := newBus(b, connectTo(b, srv, "pub"), Options{OwnsConn: true})
			sub := newBus(b, connectTo(b, srv, "sub"), Options{OwnsConn: true})
			rec := newCounter()
			if _, err := sub.Subscribe("s1", rec.handle); err != nil {
				b.Fatalf("Subscribe: %v", err)
			}
			ev := chat.Event{Type: chat.EventDelta, SessionID: "s1",
				Delta: &chat.Delta{StreamID: "st", ReplyTo: 1, Text: "a typical token"}}
			ctx := context.Background()
			const window = 1000

			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				ev.Delta.Index = i
				if err := pub.Publish(ctx, ev); err != nil {
					b.Fatalf("Publish: %v", err)
				}
				if (i+1)%window == 0 {
					rec.waitN(b, i+1)
				}
			}
			rec.waitN(b, b.N)
		})
	}
}

// counter counts events; a recorder's growing slice would dominate the
// measurement.
type counter struct {
	n      atomic.Int64
	notify chan struct{}
}

func newCounter() *counter { return &counter{notify: make(chan struct{}, 1)} }

func (c *counter) handle(chat.Event) {
	c.n.Add(1)
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// waitN waits until n events have arrived.
func (c *counter) waitN(b *testing.B, n int) {
	b.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for c.n.Load() < int64(n) {
		select {
		case <-c.notify:
		case <-timer.C:
			b.Fatalf("received %d events, want %d (waited %s)", c.n.Load(), n, waitLimit)
		}
	}
}

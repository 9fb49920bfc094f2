package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// onlySubscription returns b's single live subscription.
func onlySubscription(t *testing.T, b *Bus) *subscription {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) != 1 {
		t.Fatalf("bus has %d subscriptions, want 1", len(b.subs))
	}
	for s := range b.subs {
		return s
	}
	return nil
}

// waitUntil polls cond, which the code under test makes true without
// signalling, until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStopWaitsForRunningHandler checks the guarantee the chat layer relies
// on to release a client's resources: once unsubscribe (or Close) returns,
// the handler is not running and never will be.
func TestStopWaitsForRunningHandler(t *testing.T) {
	for name, stop := range map[string]func(b *Bus, unsub func()){
		"unsubscribe": func(_ *Bus, unsub func()) { unsub() },
		"close":       func(b *Bus, _ func()) { _ = b.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			b := newBus(t, connectTo(t, startServer(t, EmbeddedOptions{}), "c"), Options{})
			entered, release := make(chan struct{}), make(chan struct{})
			var returned, lateCalls atomic.Int64
			var once sync.Once
			unsub, err := b.Subscribe("s1", func(chat.Event) {
				if returned.Load() > 0 {
					lateCalls.Add(1)
				}
				once.Do(func() {
					close(entered)
					<-release
				})
				returned.Add(1)
			})
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			s := onlySubscription(t, b)
			for i := range 3 {
				if err := b.Publish(context.Background(), delta("s1", "a", i)); err != nil {
					t.Fatalf("Publish: %v", err)
				}
			}
			<-entered

			stopped := make(chan int64)
			go func() {
				stop(b, unsub)
				stopped <- returned.Load()
			}()
			// Once done is set the stopper is committed to waiting; the
			// handler is still blocked, so it cannot have returned.
			waitUntil(t, "stop marks the subscription done", s.done.Load)
			select {
			case <-stopped:
				t.Fatal("stop returned while the handler was still running")
			default:
			}
			close(release)
			if n := <-stopped; n != 1 {
				t.Fatalf("handler had returned %d times when stop returned, want 1", n)
			}
			if n := lateCalls.Load(); n != 0 {
				t.Fatalf("handler called %d more times after it was stopped", n)
			}
		})
	}
}

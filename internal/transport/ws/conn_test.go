package ws

import (
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// waitLimit is a safety net against hangs, never an assertion on speed.
const waitLimit = 10 * time.Second

// only returns the one server connection of a single-connection fanout.
func (f *fanout) only() *conn {
	for c := range f.topic.conns {
		return c
	}
	return nil
}

func TestWriterExistsOnlyWhileThereIsSomethingToWrite(t *testing.T) {
	f := newFanout(t, 1, Options{PingInterval: time.Hour})
	c := f.only()
	for round := range 2 {
		// A writer starts for queued frames, delivers them in order, and
		// exits once the queue is empty; the next frame starts another.
		f.expect(3)
		for i := range 3 {
			f.srv.hub.dispatch(f.topic, chat.Event{Type: chat.EventDelta, SessionID: f.session,
				Delta: &chat.Delta{StreamID: "stream", ReplyTo: 1, Index: round*3 + i, Text: " token"}})
		}
		f.wait(t)
		deadline := time.Now().Add(waitLimit)
		for c.isWriting() {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the writer is still running with nothing to write", round)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestPingsComeFromATimerAndStopWithTheConnection(t *testing.T) {
	f := newFanout(t, 1, Options{PingInterval: 20 * time.Millisecond})
	c := f.only()
	c.startTimers(time.Now().Add(time.Hour))
	pings := make(chan struct{}, 16)
	cl := f.clients[0]
	cl.SetPingHandler(func(string) error {
		pings <- struct{}{}
		return nil
	})
	go func() {
		for {
			if _, _, err := cl.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for i := range 2 {
		select {
		case <-pings:
		case <-time.After(waitLimit):
			t.Fatalf("ping %d never came", i+1)
		}
	}
	c.finish()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ping.Stop() || c.expiry.Stop() {
		t.Fatal("finish left a timer armed")
	}
}

func TestExpiredTokenClosesTheConnectionWith4001(t *testing.T) {
	f := newFanout(t, 1, Options{PingInterval: time.Hour})
	c := f.only()
	c.startTimers(time.Now())
	_, _, err := f.clients[0].ReadMessage()
	if code := closeCode(err); code != closeTokenExpired {
		t.Fatalf("read ended with %v, want close code %d", err, closeTokenExpired)
	}
}

func (c *conn) isWriting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing
}

// closeCode is the close code a read error carries, or 0.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

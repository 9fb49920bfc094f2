package bus

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// waitLimit bounds every wait in these tests. It is a deadlock guard, not a
// performance assertion: on a healthy run each wait ends in milliseconds.
const waitLimit = 30 * time.Second

// startServer starts an embedded server that is shut down when the test
// ends.
func startServer(t testing.TB, opts EmbeddedOptions) *EmbeddedServer {
	t.Helper()
	srv, err := StartEmbedded(opts)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// connectTo connects to srv (in-process or over TCP, as srv was started)
// and closes the connection when the test ends.
func connectTo(t testing.TB, srv *EmbeddedServer, name string) *nats.Conn {
	t.Helper()
	nc, err := srv.Connect(name)
	if err != nil {
		t.Fatalf("Connect(%s): %v", name, err)
	}
	t.Cleanup(nc.Close) // harmless after a Bus that owns nc closed it
	return nc
}

// newBus returns a Bus closed when the test ends.
func newBus(t testing.TB, nc *nats.Conn, opts Options) *Bus {
	t.Helper()
	b := New(nc, opts)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// mustSubscribe subscribes rec.handle and fails the test on error.
func mustSubscribe(t testing.TB, b chat.Bus, sessionID string, rec *recorder) func() {
	t.Helper()
	unsub, err := b.Subscribe(sessionID, rec.handle)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", sessionID, err)
	}
	return unsub
}

// recorder collects the events a handler receives.
type recorder struct {
	mu     sync.Mutex
	events []chat.Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) handle(ev chat.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Event(nil), r.events...)
}

// waitN waits until at least n events have arrived and returns them all.
func (r *recorder) waitN(t testing.TB, n int) []chat.Event {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		if evs := r.snapshot(); len(evs) >= n {
			return evs
		}
		select {
		case <-r.notify:
		case <-timer.C:
			t.Fatalf("received %d events, want %d (waited %s)", len(r.snapshot()), n, waitLimit)
		}
	}
}

// logBuffer is a log destination tests can search and wait on. Writes may
// arrive after the test ends (nats.go calls handlers asynchronously), which
// a testing.T could not take.
type logBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	notify chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{notify: make(chan struct{}, 1)} }

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.buf.Write(p)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
	return n, err
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits until the log contains substr.
func (l *logBuffer) waitFor(t testing.TB, substr string) {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for !strings.Contains(l.String(), substr) {
		select {
		case <-l.notify:
		case <-timer.C:
			t.Fatalf("log never contained %q; log:\n%s", substr, l.String())
		}
	}
}

// waitStatus waits for ch (from nc.StatusChanged) to report a status.
func waitStatus(t testing.TB, ch <-chan nats.Status) nats.Status {
	t.Helper()
	select {
	case st := <-ch:
		return st
	case <-time.After(waitLimit):
		t.Fatalf("connection status did not change within %s", waitLimit)
		return 0
	}
}

// delta returns a delta event of session, tagged with its publisher.
func delta(session, publisher string, index int) chat.Event {
	return chat.Event{
		Type:      chat.EventDelta,
		SessionID: session,
		Delta:     &chat.Delta{StreamID: publisher, Index: index, Text: "tok"},
	}
}

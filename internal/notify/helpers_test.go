package notify_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/crypto"
	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
)

// waitLimit is a safety net against hangs, never an assertion on speed.
const waitLimit = 15 * time.Second

// eventually polls cond until it holds, failing the test after waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// counter records Options.Count calls.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) Count(ch notify.Channel, result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[string(ch)+"/"+result]++
}

func (c *counter) Get(ch notify.Channel, result string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[string(ch)+"/"+result]
}

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the decoded lines whose msg is msg.
func (b *logBuffer) Lines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func (b *logBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testSealer is a keyring with a fixed test key.
func testSealer(t *testing.T) notify.Sealer {
	t.Helper()
	kr, err := crypto.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// dbPath returns a fresh database path.
func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "chat.db") }

// openOutbox opens a handle to the SQLite database at path, closed when t
// ends.
func openOutbox(t *testing.T, path string) notify.Outbox {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.Outbox()
}

// rig is a Notifier under test with what observes it.
type rig struct {
	n      *notify.Notifier
	outbox notify.Outbox
	log    *logBuffer
	count  *counter
}

// fast is the worker tuning of tests: retries and polls in milliseconds.
func fast(o notify.Options) notify.Options {
	o.Retry = notify.Retry{Base: time.Millisecond, Max: 20 * time.Millisecond, MaxAttempts: 20}
	o.PollInterval = 5 * time.Millisecond
	return o
}

// newRig builds a Notifier from o, filling the outbox (a fresh SQLite
// database), sealer, logger, counter and fast tuning when unset.
func newRig(t *testing.T, o notify.Options) *rig {
	t.Helper()
	r := &rig{log: &logBuffer{}, count: &counter{}}
	if o.Outbox == nil {
		o.Outbox = openOutbox(t, dbPath(t))
	}
	if o.Sealer == nil {
		o.Sealer = testSealer(t)
	}
	o.Logger = r.log.Logger()
	o.Count = r.count.Count
	if o.Retry.Base == 0 {
		o = fast(o)
	}
	n, err := notify.New(o)
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	r.n, r.outbox = n, o.Outbox
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("notifier log:\n%s", r.log.String())
		}
	})
	return r
}

// start runs a worker until the test ends.
func (r *rig) start(t *testing.T) {
	t.Helper()
	w := r.n.Start()
	t.Cleanup(func() { w.Stop(t.Context()) })
}

// rows returns the outbox rows, newest first.
func (r *rig) rows(t *testing.T) []notify.Notification {
	t.Helper()
	rows, err := r.outbox.List(t.Context(), 1000)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return rows
}

// status returns the statuses of the rows of event ev on channel ch.
func (r *rig) statuses(t *testing.T, ev notify.EventType, ch notify.Channel) []notify.Status {
	t.Helper()
	var out []notify.Status
	for _, row := range r.rows(t) {
		if row.Event == ev && row.Channel == ch {
			out = append(out, row.Status)
		}
	}
	return out
}

// help is a help request of session sid by alice.
func help(sid string, at time.Time) notify.Event {
	return notify.Event{
		Type: notify.HelpRequested, SessionID: sid, UserID: "alice", UserName: "Alice Example",
		LastMessage: "I need a human, please. <b>now</b> & \"quickly\"", At: at,
	}
}

// allSettings switches every channel on for every event.
func allSettings() notify.Settings {
	return notify.Settings{
		Emails: []string{"ops@example.com"}, Phones: []string{"+14155550100"},
		PanelURL: "https://admin.example.com/console",
		Channels: map[notify.EventType][]notify.Channel{
			notify.HelpRequested:      {notify.Email, notify.SMS},
			notify.HelpReminder:       {notify.Email, notify.SMS},
			notify.LLMAllFailing:      {notify.Email, notify.SMS},
			notify.StorageUnreachable: {notify.Email, notify.SMS},
		},
		HelpRateLimit: 5 * time.Minute, OutageRateLimit: 30 * time.Minute,
	}
}

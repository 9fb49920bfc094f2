// Package outboxtest is the contract test suite for notify.Outbox. Every
// adapter (SQLite, MongoDB...) runs it from its own tests:
//
//	func TestOutboxContract(t *testing.T) {
//		outboxtest.Run(t, func(t *testing.T) func(t *testing.T) notify.Outbox {
//			path := filepath.Join(t.TempDir(), "chat.db")
//			return func(t *testing.T) notify.Outbox {
//				s, err := sqlite.Open(t.Context(), path)
//				if err != nil {
//					t.Fatal(err)
//				}
//				t.Cleanup(func() { _ = s.Close() })
//				return s.Outbox()
//			}
//		})
//	}
//
// Each subtest states one clause of the contract written on notify.Outbox.
package outboxtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// Factory returns a handle opener for a fresh, empty store. Each call of
// open returns a new, independent handle (like another process) to that
// same store, and arranges for it to be closed when t ends. Factory and
// open report their own failures through t.
type Factory func(t *testing.T) (open func(t *testing.T) notify.Outbox)

// Run runs the contract suite against the adapter newStore creates.
// Subtests run in parallel, each on its own store, so newStore must be safe
// to call concurrently.
func Run(t *testing.T, newStore Factory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) notify.Outbox)
	}{
		{"EnqueueRoundTrip", testEnqueueRoundTrip},
		{"Dedupe", testDedupe},
		{"ConcurrentDedupe", testConcurrentDedupe},
		{"RateLimit", testRateLimit},
		{"ConcurrentRateLimit", testConcurrentRateLimit},
		{"Claim", testClaim},
		{"LeaseExpiry", testLeaseExpiry},
		{"ConcurrentClaims", testConcurrentClaims},
		{"Outcomes", testOutcomes},
		{"Cancel", testCancel},
		{"List", testList},
		{"Prune", testPrune},
		{"EraseSessions", testEraseSessions},
		{"ContextCancelled", testContextCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// base is the suite's epoch: a fixed, millisecond-precise instant.
var base = time.Date(2025, 6, 1, 12, 0, 0, 123_000_000, time.UTC)

// at returns base+d.
func at(d time.Duration) time.Time { return base.Add(d) }

// note returns a notification with the given dedupe key and every field
// set to something distinctive.
func note(key string) notify.Notification {
	return notify.Notification{
		ID:        "id-" + key,
		Key:       key,
		Event:     notify.HelpRequested,
		Channel:   notify.Email,
		Recipient: "ops@example.com",
		SessionID: "session-1",
		Payload:   []byte{0x00, 0xff, 0x01, byte(len(key))},
	}
}

// notes returns n notifications keyed prefix-0, prefix-1, ...
func notes(prefix string, n int) []notify.Notification {
	out := make([]notify.Notification, n)
	for i := range out {
		out[i] = note(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

// enqueue stores batch at when and fails the test on error.
func enqueue(t *testing.T, o notify.Outbox, when time.Time, batch []notify.Notification, limit *notify.RateLimit) notify.EnqueueResult {
	t.Helper()
	res, err := o.Enqueue(t.Context(), when, batch, limit)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return res
}

// claim claims up to max rows due at when for owner, with a one-minute
// lease.
func claim(t *testing.T, o notify.Outbox, owner string, when time.Time, max int) []notify.Notification {
	t.Helper()
	got, err := o.Claim(t.Context(), owner, when, time.Minute, max)
	if err != nil {
		t.Fatalf("Claim(%s): %v", owner, err)
	}
	return got
}

// byID returns the listed row with id.
func byID(t *testing.T, o notify.Outbox, id string) notify.Notification {
	t.Helper()
	all, err := o.List(t.Context(), 1000)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, n := range all {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("notification %s is not listed", id)
	return notify.Notification{}
}

// ids returns the IDs of ns, in order.
func ids(ns []notify.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

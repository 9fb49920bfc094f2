package notify

import (
	"context"
	"errors"
	"time"
)

// Channel is how a notification reaches its recipient.
type Channel string

// Channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
	// Log writes a structured log line: the channel of last resort when no
	// email or SMS is configured for an event, so nothing is dropped.
	Log Channel = "log"
)

// Status is where a notification is in its life.
type Status string

// Statuses. Pending is the only one that changes; the others are final.
const (
	Pending  Status = "pending"  // waiting to be sent, or being sent under a lease
	Sent     Status = "sent"     // the channel accepted it
	Failed   Status = "failed"   // given up: a permanent error, or out of attempts
	Canceled Status = "canceled" // withdrawn before sending (the help request was answered)
)

// Notification is one message to one recipient over one channel: an outbox
// row. Times have millisecond precision.
type Notification struct {
	ID        string    // unique, chosen by the Notifier
	Key       string    // dedupe key, unique in the outbox
	Event     EventType // what it is about
	Channel   Channel
	Recipient string // email address or E.164 number; "" for Log
	SessionID string // "" for events not about a session
	// Payload is the sealed event; opaque to the outbox.
	Payload []byte

	Status        Status
	Attempts      int       // sends started (incremented by Claim)
	NextAttemptAt time.Time // a pending row is due from then on
	LastError     string    // reason of the last failed attempt
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        time.Time // zero unless Sent
}

// RateLimit makes an Enqueue conditional: at most one accepted batch per
// Scope per Window.
type RateLimit struct {
	Scope  string
	Window time.Duration
}

// EnqueueResult says what Enqueue did with a batch.
type EnqueueResult struct {
	Stored     int  // new rows written
	Duplicates int  // rows skipped because their Key existed already
	Limited    bool // the rate limit refused the batch; nothing was written
}

// ErrNotLeased is returned by Complete, Retry and Fail when the caller no
// longer holds the row: its lease expired and another worker claimed it, or
// it was canceled. The caller must drop the row without counting an outcome.
var ErrNotLeased = errors.New("notify: notification not leased by this worker")

// Outbox stores notifications until they are sent. Every adapter keeps this
// contract, proven by the suite in package outboxtest; any number of
// handles, in one process or several, may share one store.
//
//   - Enqueue is atomic: a batch is written entirely or not at all. Rows
//     whose Key already exists are skipped, never duplicated, even when
//     handles enqueue the same Key concurrently (the store enforces Key
//     uniqueness). When every row of the batch is a duplicate the rate limit
//     is neither checked nor consumed. Otherwise, with limit set, the batch
//     is refused (Limited) if a batch with the same Scope was accepted less
//     than Window before at; an accepted batch starts a new window at at.
//     Rows are stored Pending with Attempts 0, NextAttemptAt as given (at if
//     zero) and CreatedAt/UpdatedAt at.
//   - Claim leases up to max Pending rows due at at (NextAttemptAt <= at)
//     whose lease, if any, has expired, to owner until at+lease, and counts
//     an attempt on each. While a lease holds, no other Claim returns the
//     row: of concurrent claimers on any handles, exactly one gets it. Rows
//     are returned oldest due first.
//   - Complete, Retry and Fail record the outcome of the attempt owner holds
//     and release the lease: Complete makes the row Sent, Retry leaves it
//     Pending and due at next with reason as LastError, Fail makes it Failed
//     with reason. Each returns ErrNotLeased if owner does not hold the row
//     (another owner claimed it since, or it is no longer Pending).
//   - Cancel makes the session's Pending rows of the given events Canceled,
//     leased or not, and forgets the rate limit scopes given, so the next
//     request starts afresh. It returns how many rows it canceled.
//   - List returns up to limit rows, newest CreatedAt first (ties by ID
//     descending), Payload included.
//   - Prune deletes rows that are no longer Pending and were last updated
//     before before, and rate limit windows that ended before it.
//
// Methods honour ctx and wrap storage failures in errors that name the
// operation.
type Outbox interface {
	Enqueue(ctx context.Context, at time.Time, batch []Notification, limit *RateLimit) (EnqueueResult, error)
	Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, max int) ([]Notification, error)
	Complete(ctx context.Context, id, owner string, at time.Time) error
	Retry(ctx context.Context, id, owner string, at, next time.Time, reason string) error
	Fail(ctx context.Context, id, owner string, at time.Time, reason string) error
	Cancel(ctx context.Context, sessionID string, events []EventType, scopes []string, at time.Time) (int, error)
	List(ctx context.Context, limit int) ([]Notification, error)
	Prune(ctx context.Context, before time.Time) (int, error)
}

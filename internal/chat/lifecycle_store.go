package chat

import (
	"context"
	"time"
)

// LifecycleStore is the part of a Repository that ends sessions nobody uses
// any more and deletes stored data: idle expiry, retention, and a user's
// request to erase their data. Repository embeds it.
//
// Contract, proven for every adapter by package repotest (IdleExpiry,
// Retention, Erasure):
//   - EndIdleSessions is safe to run on every instance at once: of
//     concurrent calls on any handles to one database, each session is
//     ended and returned by exactly one, so exactly one caller announces it
//     and counts it.
//   - Deletion is idempotent: deleting what is gone already succeeds, so
//     instances sweeping the same sessions at once do no harm.
//   - Errors are storage failures (or ctx's), wrapped with context.
type LifecycleStore interface {
	// EndIdleSessions ends active sessions whose UpdatedAt is before
	// idleBefore (the time of their last message or state change): each
	// gets Status ended, EndReason EndByIdle and EndedAt at. It ends at most
	// limit sessions and returns the ones this call ended, as GetSession
	// returns them afterwards, also alongside an error (those stay ended
	// and must still be announced). A session ended by anything else
	// meanwhile is not returned.
	EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]Session, error)

	// EndedBefore returns the ids of up to limit ended sessions whose
	// EndedAt is before cutoff, oldest first. An active session is never
	// returned, however old.
	EndedBefore(ctx context.Context, cutoff time.Time, limit int) ([]string, error)

	// DeleteSessions deletes the sessions with the given ids and everything
	// the Repository keeps with them (messages, ownership records), active
	// or not: afterwards GetSession gives ErrNotFound and ListMessages
	// nothing for each. Unknown ids are skipped; deleted counts the
	// sessions this call removed. Audit entries stay: they name ids and
	// actions, never content.
	DeleteSessions(ctx context.Context, ids []string) (deleted int, err error)
}

package chat

import "context"

// Eraser removes what a component beside the Repository keeps about users
// and their sessions (uploads and their blobs, queued notifications), so
// that deleting a user, or a session reaching the end of its retention,
// leaves nothing behind anywhere.
//
// Contract, kept by every implementation:
//   - The lifecycle calls every Eraser before it deletes the sessions
//     themselves, and deletes a session only once every Eraser succeeded
//     for it: a session stays listed until then, so a failed erasure is
//     retried by the next run instead of leaving orphans nobody can find.
//   - Both methods are idempotent: erasing what is gone already succeeds,
//     and concurrent calls, from any number of instances, are harmless.
//   - Methods honour ctx and wrap failures with context.
type Eraser interface {
	// EraseUser removes everything kept for userID that is not tied to one
	// of the user's sessions (an upload not yet sent in a message, say).
	// It runs after EraseSessions has run for all of the user's sessions.
	EraseUser(ctx context.Context, userID string) error
	// EraseSessions removes everything kept for the given sessions.
	EraseSessions(ctx context.Context, sessionIDs []string) error
}

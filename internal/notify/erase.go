package notify

import (
	"context"
	"errors"
	"fmt"
)

// SessionEraser is implemented by outbox adapters that can forget
// sessions: deleting a user's data, or sessions reaching the end of their
// retention, must also remove the alerts that quote them.
//
// EraseSessions deletes every notification about the given sessions,
// whatever its status (a pending one is never sent), with whatever the
// adapter keeps for those rows (leases), and the rate limit windows of the
// given scopes. It is idempotent, safe to run concurrently with the
// worker and on any number of handles, and returns how many notifications
// it deleted.
type SessionEraser interface {
	EraseSessions(ctx context.Context, sessionIDs []string, scopes []string) (int, error)
}

// Eraser removes the outbox rows of erased sessions. It has the method set
// of chat.Eraser, which the application wires it as.
type Eraser struct {
	store SessionEraser
}

// NewEraser returns the Eraser of an outbox adapter; it fails when the
// adapter cannot erase, so a deployment cannot silently keep alerts about
// deleted users.
func NewEraser(o Outbox) (*Eraser, error) {
	store, ok := o.(SessionEraser)
	if !ok {
		return nil, errors.New("notify: the outbox adapter cannot erase sessions (notify.SessionEraser)")
	}
	return &Eraser{store: store}, nil
}

// EraseSessions deletes the sessions' notifications, sent or not, and
// their help alert rate limits.
func (e *Eraser) EraseSessions(ctx context.Context, sessionIDs []string) error {
	if len(sessionIDs) == 0 {
		return nil
	}
	scopes := make([]string, len(sessionIDs))
	for i, id := range sessionIDs {
		scopes[i] = helpScope(id)
	}
	if _, err := e.store.EraseSessions(ctx, sessionIDs, scopes); err != nil {
		return fmt.Errorf("notify: erase notifications of %d sessions: %w", len(sessionIDs), err)
	}
	return nil
}

// EraseUser forgets the user's help alert rate limit, whose scope names
// the user. Every notification that names a user is about one of the
// user's sessions (help requests), which EraseSessions removes; outage
// alerts name no user.
func (e *Eraser) EraseUser(ctx context.Context, userID string) error {
	if _, err := e.store.EraseSessions(ctx, nil, []string{helpUserScope(userID)}); err != nil {
		return fmt.Errorf("notify: erase the help rate limit of user %s: %w", userID, err)
	}
	return nil
}

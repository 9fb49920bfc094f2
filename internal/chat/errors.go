package chat

import "errors"

// Errors returned by the domain and by Repository adapters. Callers match them
// with errors.Is; adapters wrap them with context.
var (
	// ErrNotFound: no such session or message, or the caller may not see it
	// (the two are indistinguishable on purpose, so ids cannot be probed).
	ErrNotFound = errors.New("not found")
	// ErrSessionEnded: the session no longer accepts messages.
	ErrSessionEnded = errors.New("session ended")
	// ErrInvalid: the request is malformed (empty content, unknown model...).
	ErrInvalid = errors.New("invalid request")
	// ErrConflict: another change won the race (e.g. a concurrent takeover).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the actor lacks the role the operation needs.
	ErrForbidden = errors.New("forbidden")
	// ErrTooLarge: the content exceeds MaxContentBytes.
	ErrTooLarge = errors.New("content too large")
	// ErrUnavailable: no model could answer.
	ErrUnavailable = errors.New("assistant unavailable")
	// ErrQuotaExceeded: the user has used up today's token budget.
	ErrQuotaExceeded = errors.New("daily token budget used up")
	// ErrDraining: the instance is shutting down and accepts no new work.
	ErrDraining = errors.New("server draining")
)

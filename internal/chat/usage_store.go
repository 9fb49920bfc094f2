package chat

import (
	"context"
	"time"
)

// UsageStore keeps what replies cost and the provider-side state they leave
// behind. It is part of Repository.
//
// Contract:
//   - RecordUsage adds u to the session's token totals and to its user's
//     totals for the UTC day of at. Totals only grow; each is updated
//     atomically, so concurrent replies on many instances never lose an
//     addition. ErrNotFound for an unknown session.
//   - SessionUsage returns a session's totals (zero before any reply);
//     UserUsage a user's totals for the UTC day of at (zero when none).
//   - ConversationIDs returns the provider conversation ids stored for a
//     session (provider id -> conversation id; empty, never nil, when there
//     are none); SetConversationIDs merges ids into them, replacing the id
//     of a provider named again. ErrNotFound for an unknown session.
type UsageStore interface {
	RecordUsage(ctx context.Context, sessionID string, u Usage, at time.Time) error
	SessionUsage(ctx context.Context, sessionID string) (Usage, error)
	UserUsage(ctx context.Context, userID string, at time.Time) (Usage, error)
	ConversationIDs(ctx context.Context, sessionID string) (map[string]string, error)
	SetConversationIDs(ctx context.Context, sessionID string, ids map[string]string) error
}

// UsageDay is the UTC calendar day usage at t counts towards, as adapters
// key daily totals: "2006-01-02".
func UsageDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Total is the sum of input and output tokens.
func (u Usage) Total() int { return u.InputTokens + u.OutputTokens }

// BudgetResetsAt is when the daily token budget in force at t starts over:
// the next UTC midnight.
func BudgetResetsAt(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

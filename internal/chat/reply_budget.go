package chat

import "context"

// CapTokens returns the output token limit that keeps under both limit (a
// model's own MaxOutputTokens) and ceiling (what the user's budget leaves); 0
// in either means "none" and the other one applies.
func CapTokens(limit, ceiling int) int {
	switch {
	case ceiling <= 0:
		return limit
	case limit <= 0:
		return ceiling
	}
	return min(limit, ceiling)
}

// capReplyTokens bounds the reply req asks for by what is left of userID's
// daily token budget, so one long reply cannot overshoot it: the budget is
// checked before a message is stored, but the reply's cost is only known
// afterwards. The provider's input tokens still count on top, so a reply
// can overshoot by at most its prompt (bounded by the history budget).
// With the budget used up meanwhile (replies running in parallel) the reply
// gets a single token rather than the provider's default.
//
// When the usage cannot be read the reply keeps the model's own limit: the
// check before storing already passed, and a storage hiccup should not cost
// the user an answer.
func (s *Service) capReplyTokens(ctx context.Context, userID string, req *CompletionRequest) {
	if s.budget <= 0 {
		return
	}
	used, err := s.repo.UserUsage(ctx, userID, s.now())
	if err != nil {
		s.log.Warn("reply not capped by the token budget: usage unreadable", "user_id", userID, "err", err)
		return
	}
	left := max(s.budget-used.Total(), 1)
	req.TokenCap = left
	req.MaxOutputTokens = CapTokens(req.MaxOutputTokens, left)
}

package chat

import (
	"context"
	"fmt"
	"time"
)

// audit records an admin action. The action itself is already committed,
// so a failure to record it is logged loudly rather than undoing it.
func (s *Service) audit(actor Actor, action, sessionID, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	e := AuditEntry{
		ID: newID(), At: Millis(s.now()), ActorID: actor.ID, ActorName: actor.Name,
		Action: action, SessionID: sessionID, Detail: detail,
	}
	if err := s.repo.AppendAudit(ctx, e); err != nil {
		s.log.Error("could not record admin action in the audit log",
			"actor_id", actor.ID, "action", action, "session_id", sessionID, "err", err)
	}
}

// Audit lists recorded admin actions, newest first.
func (s *Service) Audit(ctx context.Context, admin Actor, q AuditQuery) (AuditPage, error) {
	if err := requireAdmin(admin); err != nil {
		return AuditPage{}, err
	}
	page, err := s.repo.ListAudit(ctx, q)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit: %w", err)
	}
	return page, nil
}

// Overview is what the admin console's metric cards show, read from
// storage so every instance gives the same answer.
type Overview struct {
	ActiveSessions int
	SessionsToday  int
	HelpWaiting    int
	HumanOwned     int
	TakeoversToday int
	TokensToday    Usage
}

// Overview counts the console's numbers; "today" starts at midnight UTC.
func (s *Service) Overview(ctx context.Context, admin Actor) (Overview, error) {
	if err := requireAdmin(admin); err != nil {
		return Overview{}, err
	}
	now := s.now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	waiting := true
	var (
		o   Overview
		err error
	)
	counts := []struct {
		dst *int
		q   SessionQuery
	}{
		{&o.ActiveSessions, SessionQuery{Status: StatusActive}},
		{&o.SessionsToday, SessionQuery{CreatedFrom: midnight}},
		{&o.HelpWaiting, SessionQuery{Status: StatusActive, HelpRequested: &waiting}},
		{&o.HumanOwned, SessionQuery{Status: StatusActive, Owner: OwnerHuman}},
	}
	for _, c := range counts {
		if *c.dst, err = s.repo.CountSessions(ctx, c.q); err != nil {
			return Overview{}, fmt.Errorf("overview: %w", err)
		}
	}
	if o.TokensToday, err = s.repo.UsageSince(ctx, midnight); err != nil {
		return Overview{}, fmt.Errorf("overview: %w", err)
	}
	// Takeovers are counted from the audit log, one page at a time.
	q := AuditQuery{Action: AuditTakeover, Since: midnight, Limit: 100}
	for {
		page, err := s.repo.ListAudit(ctx, q)
		if err != nil {
			return Overview{}, fmt.Errorf("overview: %w", err)
		}
		o.TakeoversToday += len(page.Entries)
		if page.NextCursor == "" {
			return o, nil
		}
		q.Cursor = page.NextCursor
	}
}

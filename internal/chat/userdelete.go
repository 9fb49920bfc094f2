package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// EventUserErased is published on the UserControl topic once a user's data
// is being erased; Event.Session carries only the user's id (UserID). Every
// instance closes that user's live connections when it arrives, so no
// socket keeps showing, or adding to, data that is gone.
const EventUserErased EventType = "user_erased"

// UserControl is the topic (used in place of a session id) of events about
// users rather than sessions. Session ids are UUIDs, so it cannot collide
// with one.
const UserControl = "user-control"

// AuditDeleteUser is the audit action recording that a user's data was
// erased; its Detail names the user id and how many sessions went, never
// anything they contained.
const AuditDeleteUser = "delete_user"

// Erasure is what DeleteUser removed.
type Erasure struct {
	Sessions int // sessions deleted, with their messages, uploads and notifications
}

// DeleteUser erases every session of userID with its messages and whatever
// the Erasers keep (uploads, queued notifications), then what the Erasers
// keep for the user outside sessions. Users erase their own data; an admin
// may erase anyone's. In order:
//
//  1. Every instance is told to close the user's live connections.
//  2. A batch of the user's sessions at a time: active ones are ended (so a
//     reply streaming on any instance stops and followers see the end),
//     the Erasers run, the sessions are deleted.
//  3. The Erasers remove the user's remaining data; connections opened
//     meanwhile are closed again.
//  4. The erasure is recorded in the audit log: who asked, whose data,
//     how many sessions; no content.
//
// Calling it again finishes an interrupted erasure, and erasing a user
// without data succeeds.
func (l *Lifecycle) DeleteUser(ctx context.Context, actor Actor, userID string) (Erasure, error) {
	if err := l.authorizeUserAccess(actor, userID); err != nil {
		return Erasure{}, err
	}
	l.closeConnections(userID)
	reason := EndByUser
	if actor.ID != userID {
		reason = EndByAdmin
	}
	var out Erasure
	seen := map[string]bool{}
	for {
		page, err := l.repo.ListSessions(ctx, SessionQuery{UserID: userID, Limit: l.batch})
		if err != nil {
			return out, fmt.Errorf("erase user: list sessions: %w", err)
		}
		if len(page.Sessions) == 0 {
			break
		}
		ids := make([]string, 0, len(page.Sessions))
		for _, s := range page.Sessions {
			if seen[s.ID] {
				// Deleted before, listed again: storage did not delete it.
				return out, fmt.Errorf("erase user: session %s is still stored after its deletion", s.ID)
			}
			seen[s.ID] = true
			ids = append(ids, s.ID)
			if s.Status == StatusActive {
				l.endForErasure(ctx, s.ID, reason)
			}
		}
		n, err := l.eraseAndDelete(ctx, ids)
		if err != nil {
			return out, fmt.Errorf("erase user: delete %d sessions: %w", len(ids), err)
		}
		out.Sessions += n
		l.deleted(DeletedByRequest, n)
	}
	for _, e := range l.erasers {
		if err := e.EraseUser(ctx, userID); err != nil {
			return out, fmt.Errorf("erase user: %w", err)
		}
	}
	l.closeConnections(userID)
	detail := userDetail(userID) + " sessions=" + strconv.Itoa(out.Sessions)
	if err := l.recordAudit(ctx, actor, AuditDeleteUser, detail); err != nil {
		return out, fmt.Errorf("erase user: data erased, but: %w", err)
	}
	l.log.Info("user data erased", "actor_id", actor.ID, "user_id", userID, "sessions", out.Sessions)
	return out, nil
}

// endForErasure ends an active session about to be deleted, so a reply
// being generated for it stops (here at once, elsewhere on the ended
// status) instead of writing into a deleted session. Failing to end it
// does not stop the erasure: deleting it stops everything just as well.
func (l *Lifecycle) endForErasure(ctx context.Context, id, reason string) {
	if err := l.svc.asst.stop(ctx, id); err != nil {
		l.log.Warn("erase user: reply did not stop in time", "session_id", id, "err", err)
	}
	s, changed, err := l.repo.EndSession(ctx, id, reason, Millis(l.svc.now()))
	switch {
	case err != nil && !errors.Is(err, ErrNotFound):
		l.log.Warn("erase user: could not end session before deleting it", "session_id", id, "err", err)
	case err == nil && changed:
		l.svc.announce(s, FeedSessionEnded)
	}
}

// closeConnections asks every instance to close userID's connections.
// The bus is at most once, so DeleteUser asks at its start and again at
// its end.
func (l *Lifecycle) closeConnections(userID string) {
	l.svc.publish(Event{Type: EventUserErased, SessionID: UserControl, Session: &Session{UserID: userID}})
}

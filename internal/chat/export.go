package chat

import (
	"context"
	"fmt"
	"iter"
)

// exportMessagePage is how many messages Export reads from storage at a
// time: an export never holds more than one page of one session.
const exportMessagePage = 200

// ExportWriter receives a user's data from Export, one session at a time,
// newest session first.
type ExportWriter interface {
	// WriteSession writes one session and then its messages, ranging over
	// messages (seq order, decrypted) as it goes; a non-nil error from the
	// sequence ends the export and must be returned.
	WriteSession(s Session, messages iter.Seq2[Message, error]) error
}

// Export streams every session of userID with its decrypted messages to w,
// paging through storage so that memory does not grow with the user's
// history. Users export their own data; an admin may export anyone's, and
// that access is recorded in the audit log before anything is read. A
// message that cannot be decrypted fails the export: ciphertext is never
// passed off as text.
func (l *Lifecycle) Export(ctx context.Context, actor Actor, userID string, w ExportWriter) error {
	if err := l.authorizeUserAccess(actor, userID); err != nil {
		return err
	}
	if actor.ID != userID {
		if err := l.recordAudit(ctx, actor, AuditExport, userDetail(userID)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	q := SessionQuery{UserID: userID, Limit: DefaultLifecycleBatch}
	for {
		page, err := l.repo.ListSessions(ctx, q)
		if err != nil {
			return fmt.Errorf("export: list sessions: %w", err)
		}
		for _, s := range page.Sessions {
			if err := w.WriteSession(l.svc.titled(s), l.messages(ctx, s.ID)); err != nil {
				return fmt.Errorf("export session %s: %w", s.ID, err)
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Cursor = page.NextCursor
	}
}

// messages yields a session's messages in seq order, a page at a time.
func (l *Lifecycle) messages(ctx context.Context, sessionID string) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		var after int64
		for {
			page, err := l.repo.ListMessages(ctx, sessionID, after, exportMessagePage)
			if err != nil {
				yield(Message{}, fmt.Errorf("list messages: %w", err))
				return
			}
			for _, sm := range page {
				m, err := l.svc.open(sm)
				if !yield(m, err) || err != nil {
					return
				}
				after = sm.Seq
			}
			if len(page) < exportMessagePage {
				return
			}
		}
	}
}

// authorizeUserAccess lets users reach their own data and admins anyone's.
func (l *Lifecycle) authorizeUserAccess(actor Actor, userID string) error {
	if userID == "" {
		return fmt.Errorf("%w: user id is empty", ErrInvalid)
	}
	if actor.ID != userID {
		return requireAdmin(actor)
	}
	return nil
}

// recordAudit stores an audit entry and fails when it cannot: an access
// to someone else's data that could not be recorded does not happen.
func (l *Lifecycle) recordAudit(ctx context.Context, actor Actor, action, detail string) error {
	e := AuditEntry{
		ID: newID(), At: Millis(l.svc.now()), ActorID: actor.ID, ActorName: actor.Name,
		Action: action, Detail: detail,
	}
	if err := l.repo.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("record %s in the audit log: %w", action, err)
	}
	return nil
}

// userDetail is the audit Detail naming the user whose data was reached:
// an id, never content.
func userDetail(userID string) string { return "user_id=" + userID }

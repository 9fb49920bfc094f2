package chat

import (
	"context"
	"errors"
	"fmt"
)

// Hooks let the application react to domain events without the domain
// knowing who listens (metrics, notifications). Nil hooks are skipped;
// hooks must not block.
type Hooks struct {
	// Takeover is called after a human took a session over.
	Takeover func(s Session)
	// HelpRequested is called once per waiting help request, with the
	// user's newest message (plaintext) for context.
	HelpRequested func(s Session, lastMessage string)
	// HelpAnswered is called when a human takes over a session whose
	// help request was waiting.
	HelpAnswered func(s Session)
}

// AdminMessage is a message a human admin sends to a session's user.
type AdminMessage struct {
	SessionID   string
	ClientMsgID string
	Content     string
}

func requireAdmin(actor Actor) error {
	if !actor.Admin {
		return fmt.Errorf("admin role required: %w", ErrForbidden)
	}
	return nil
}

// Takeover hands a session to a human admin: from now on the assistant does
// not answer it. A reply in progress stops on whichever instance generates
// it (it follows the session's status on the bus) and its partial text is
// stored as interrupted. Taking over a session one already owns returns it
// unchanged; a session owned by another admin, or a concurrent takeover
// that won the race, is ErrConflict.
func (s *Service) Takeover(ctx context.Context, admin Actor, sessionID string) (Session, error) {
	if err := requireAdmin(admin); err != nil {
		return Session{}, err
	}
	sess, err := s.repo.GetSession(ctx, sessionID)
	if err != nil {
		return Session{}, err
	}
	if sess.Owner == OwnerHuman {
		if sess.AdminID == admin.ID {
			return s.titled(sess), nil
		}
		return Session{}, fmt.Errorf("session %s is owned by %s: %w", sessionID, sess.AdminName, ErrConflict)
	}
	helpWaiting := !sess.HelpRequestedAt.IsZero()
	sess, err = s.repo.ChangeOwner(ctx, sessionID, sess.Epoch, OwnerHuman, admin.ID, admin.Name, Millis(s.now()))
	if err != nil {
		return Session{}, fmt.Errorf("take over: %w", err)
	}
	// Committed: announce first, so a reply streaming on another instance
	// stops at once, then stop one streaming here and wait for it to be
	// stored.
	s.announce(sess, FeedOwnerChanged)
	if err := s.asst.stop(ctx, sessionID); err != nil {
		s.log.Warn("takeover: local reply did not stop in time", "session_id", sessionID, "err", err)
	}
	s.notice(sess, admin.Name+" joined the conversation.")
	s.audit(admin, AuditTakeover, sessionID, "")
	if h := s.hooks.Takeover; h != nil {
		h(sess)
	}
	if h := s.hooks.HelpAnswered; h != nil && helpWaiting {
		h(sess)
	}
	return s.titled(sess), nil
}

// Release hands a session back to the assistant. Any admin may release;
// the assistant answers at once if the user's last message is unanswered,
// with the human's messages in its context.
func (s *Service) Release(ctx context.Context, admin Actor, sessionID string) (Session, error) {
	if err := requireAdmin(admin); err != nil {
		return Session{}, err
	}
	sess, err := s.repo.GetSession(ctx, sessionID)
	if err != nil {
		return Session{}, err
	}
	if sess.Owner != OwnerHuman {
		return s.titled(sess), nil
	}
	name := sess.AdminName
	sess, err = s.repo.ChangeOwner(ctx, sessionID, sess.Epoch, OwnerAI, "", "", Millis(s.now()))
	if err != nil {
		return Session{}, fmt.Errorf("release: %w", err)
	}
	s.announce(sess, FeedOwnerChanged)
	owedFrom := sess.LastSeq
	if seq := s.notice(sess, name+" left the conversation; the assistant is back."); seq > 0 {
		owedFrom = seq
	}
	s.audit(admin, AuditRelease, sessionID, "")
	// Questions the user asked while the human owned the session were
	// settled as not the assistant's. Owing a reply from a seq that no run
	// could have read before the release committed keeps such a run, on any
	// instance, from settling this debt away; the next run answers what is
	// still unanswered, or settles it once it has read the notice.
	if err := s.repo.OweReply(ctx, sessionID, owedFrom, s.now()); err != nil {
		s.log.Warn("release: could not record the owed reply", "session_id", sessionID, "err", err)
	}
	s.asst.kick(sessionID)
	return s.titled(sess), nil
}

// AdminSend stores a message from the admin who owns the session and
// delivers it to the user. Only the owning admin may answer, so a user
// never gets two answers (the assistant's and a human's) to one question.
func (s *Service) AdminSend(ctx context.Context, admin Actor, in AdminMessage) (Sent, error) {
	if err := requireAdmin(admin); err != nil {
		return Sent{}, err
	}
	if err := validateUserMessage(UserMessage{SessionID: in.SessionID, ClientMsgID: in.ClientMsgID, Content: in.Content}); err != nil {
		return Sent{}, err
	}
	sess, err := s.repo.GetSession(ctx, in.SessionID)
	if err != nil {
		return Sent{}, err
	}
	if sess.Owner != OwnerHuman || sess.AdminID != admin.ID {
		return Sent{}, fmt.Errorf("take the session over before answering: %w", ErrConflict)
	}
	msg := Message{
		MessageMeta: MessageMeta{
			ID: newID(), SessionID: in.SessionID, ClientMsgID: in.ClientMsgID, AuthorID: admin.ID,
			Sender: SenderAdmin, SenderName: admin.Name, CreatedAt: Millis(s.now()),
		},
		Content: in.Content,
	}
	stored, res, err := s.append(ctx, msg)
	if err != nil {
		return Sent{}, err
	}
	if !res.Duplicate {
		s.audit(admin, AuditAdminMessage, in.SessionID, fmt.Sprintf("message %s seq %d", stored.ID, stored.Seq))
	}
	return Sent{Message: stored, Session: res.Session, Duplicate: res.Duplicate}, nil
}

// RequestHelp records that the user wants a human, announces it to the
// admin feed and calls the HelpRequested hook once per waiting request.
func (s *Service) RequestHelp(ctx context.Context, actor Actor, sessionID string) (Session, error) {
	if _, err := s.ownSession(ctx, actor, sessionID); err != nil {
		return Session{}, err
	}
	sess, changed, err := s.repo.RequestHelp(ctx, sessionID, Millis(s.now()))
	if err != nil {
		return Session{}, fmt.Errorf("request help: %w", err)
	}
	if !changed {
		return s.titled(sess), nil
	}
	s.announce(sess, FeedHelpRequested)
	if h := s.hooks.HelpRequested; h != nil {
		h(sess, s.lastUserMessage(ctx, sess))
	}
	return s.titled(sess), nil
}

// AdminSessions lists sessions of every user matching q.
func (s *Service) AdminSessions(ctx context.Context, admin Actor, q SessionQuery) (SessionPage, error) {
	if err := requireAdmin(admin); err != nil {
		return SessionPage{}, err
	}
	page, err := s.repo.ListSessions(ctx, q)
	if err != nil {
		return SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	return s.titledPage(page), nil
}

// Typing relays that someone is typing. It is ephemeral: not stored.
func (s *Service) Typing(ctx context.Context, actor Actor, sessionID string) error {
	sess, err := s.Session(ctx, actor, sessionID)
	if err != nil {
		return err
	}
	t := Typing{Sender: SenderUser, Name: actor.Name, AuthorID: actor.ID}
	if sess.UserID != actor.ID {
		if sess.Owner != OwnerHuman || sess.AdminID != actor.ID {
			return fmt.Errorf("only the owning admin types to the user: %w", ErrConflict)
		}
		t.Sender = SenderAdmin
	}
	s.publish(Event{Type: EventTyping, SessionID: sessionID, Typing: &t})
	return nil
}

// announce publishes a committed session change to the session's followers
// and to the admin feed.
func (s *Service) announce(sess Session, feed string) {
	s.publish(Event{Type: EventStatus, SessionID: sess.ID, Session: &sess})
	s.publish(Event{Type: EventFeed, SessionID: AdminFeed, Feed: feed, Session: &sess})
}

// notice stores and publishes a system message (a human joined or left)
// and returns its seq. A failure is logged and gives 0: the ownership
// change it describes is already stored and announced.
func (s *Service) notice(sess Session, text string) (seq int64) {
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	msg := Message{
		MessageMeta: MessageMeta{ID: newID(), SessionID: sess.ID, Sender: SenderSystem, CreatedAt: Millis(s.now())},
		Content:     text,
	}
	stored, _, err := s.append(ctx, msg)
	if err != nil {
		if !errors.Is(err, ErrSessionEnded) {
			s.log.Warn("could not store system message", "session_id", sess.ID, "err", err)
		}
		return 0
	}
	return stored.Seq
}

// append seals, stores and publishes one message.
func (s *Service) append(ctx context.Context, msg Message) (Message, AppendResult, error) {
	sealed, err := s.seal(msg)
	if err != nil {
		return Message{}, AppendResult{}, err
	}
	res, err := s.repo.AppendMessage(ctx, sealed)
	if err != nil {
		return Message{}, AppendResult{}, fmt.Errorf("append message: %w", err)
	}
	stored, err := s.open(res.Message)
	if err != nil {
		return Message{}, AppendResult{}, err
	}
	if !res.Duplicate {
		s.publish(Event{Type: EventMessage, SessionID: stored.SessionID, Message: &stored})
	}
	return stored, res, nil
}

// lastUserMessage returns the newest user message of a session, for
// notifications; "" when there is none or it cannot be read.
func (s *Service) lastUserMessage(ctx context.Context, sess Session) string {
	after := max(sess.LastSeq-int64(s.history.MaxMessages), 0)
	sealed, err := s.repo.ListMessages(ctx, sess.ID, after, s.history.MaxMessages)
	if err != nil {
		return ""
	}
	for i := len(sealed) - 1; i >= 0; i-- {
		if sealed[i].Sender == SenderUser {
			if m, err := s.open(sealed[i]); err == nil {
				return m.Content
			}
			return ""
		}
	}
	return ""
}

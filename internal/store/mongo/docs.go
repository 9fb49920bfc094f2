package mongo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// sessionDoc is a document of the sessions collection. Field names follow
// the deployment guide's indexes (user_id, start_time, admin_assisted).
type sessionDoc struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	UserName  string    `bson:"user_name"`
	ModelID   string    `bson:"model_id"`
	Status    string    `bson:"status"`
	EndReason string    `bson:"end_reason"`
	StartTime time.Time `bson:"start_time"` // chat.Session.CreatedAt
	// UpdatedAt is the time of the last state change. Messages carry the
	// session's UpdatedAt as of themselves (messageDoc.SessionUpdatedAt);
	// the session's UpdatedAt is the later of the two.
	UpdatedAt       time.Time  `bson:"updated_at"`
	EndedAt         *time.Time `bson:"ended_at"` // null while active
	Owner           string     `bson:"owner"`
	AdminID         string     `bson:"admin_id"`
	AdminName       string     `bson:"admin_name"`
	Epoch           int64      `bson:"epoch"`
	HelpRequestedAt *time.Time `bson:"help_requested_at"` // null when no request waits
	AdminAssisted   bool       `bson:"admin_assisted"`
	Title           []byte     `bson:"title,omitempty"` // chat.Session.SealedTitle
}

// messageDoc is a document of the messages collection.
type messageDoc struct {
	Slot        string    `bson:"_id"` // slotKey(SessionID, Seq)
	MessageID   string    `bson:"message_id"`
	SessionID   string    `bson:"session_id"`
	Seq         int64     `bson:"seq"`
	IdemKey     string    `bson:"idem_key"` // see idemKey
	ClientMsgID string    `bson:"client_msg_id"`
	AuthorID    string    `bson:"author_id"`
	Sender      string    `bson:"sender"`
	SenderName  string    `bson:"sender_name"`
	ReplyTo     int64     `bson:"reply_to"`
	ModelID     string    `bson:"model_id"`
	Interrupted bool      `bson:"interrupted"`
	TokensIn    int64     `bson:"tokens_in"`
	TokensOut   int64     `bson:"tokens_out"`
	CreatedAt   time.Time `bson:"created_at"`
	Content     []byte    `bson:"content"`
	// SessionUpdatedAt is the session's UpdatedAt once this message is
	// stored: the later of the previous message's value and CreatedAt
	// (UpdatedAt never moves back). Each message is written once, knowing
	// its predecessor, so the value is exact without ever updating the
	// session document.
	SessionUpdatedAt time.Time `bson:"session_updated_at"`
	// Session is set on a session's first message only: the session as
	// StartSession stored it, so an interrupted StartSession can be
	// completed (see StartSession).
	Session *sessionDoc `bson:"session,omitempty"`
}

// ownershipDoc records one ownership change: the claim of an epoch.
type ownershipDoc struct {
	Key       string    `bson:"_id"` // slotKey(SessionID, Epoch)
	SessionID string    `bson:"session_id"`
	Epoch     int64     `bson:"epoch"`
	Owner     string    `bson:"owner"`
	AdminID   string    `bson:"admin_id"`
	AdminName string    `bson:"admin_name"`
	At        time.Time `bson:"at"`
}

// slotKey is the _id of a session's n-th message (or ownership change):
// the session id, '/', then n in 20 digits, so a session's keys sort in
// order of n. The fixed-width number at the end makes the key unambiguous
// whatever the session id contains.
func slotKey(sessionID string, n int64) string {
	return fmt.Sprintf("%s/%020d", sessionID, n)
}

// idemKey is the value a message holds under the unique idempotency index.
// A message with a client id is identified by (author, client id), the
// author length-prefixed so no two pairs share a key; one without gets a
// key of its own (its message id), so such messages never collide. A
// partial index on (author_id, client_msg_id) would say the same on MongoDB,
// but FerretDB has no partial indexes.
func idemKey(m chat.MessageMeta) string {
	if m.ClientMsgID == "" {
		return "m:" + m.ID
	}
	return "c:" + strconv.Itoa(len(m.AuthorID)) + ":" + m.AuthorID + ":" + m.ClientMsgID
}

// newSessionDoc is the stored form of s.
func newSessionDoc(s chat.Session) sessionDoc {
	return sessionDoc{
		ID:              s.ID,
		UserID:          s.UserID,
		UserName:        s.UserName,
		ModelID:         s.ModelID,
		Status:          string(s.Status),
		EndReason:       s.EndReason,
		StartTime:       s.CreatedAt,
		UpdatedAt:       s.UpdatedAt,
		EndedAt:         optionalTime(s.EndedAt),
		Owner:           string(s.Owner),
		AdminID:         s.AdminID,
		AdminName:       s.AdminName,
		Epoch:           s.Epoch,
		HelpRequestedAt: optionalTime(s.HelpRequestedAt),
		AdminAssisted:   s.AdminAssisted,
		Title:           s.SealedTitle,
	}
}

// session is the chat.Session that d and the session's newest message
// (nil when it has none) describe together.
func (d sessionDoc) session(last *messageDoc) chat.Session {
	s := chat.Session{
		ID:              d.ID,
		UserID:          d.UserID,
		UserName:        d.UserName,
		ModelID:         d.ModelID,
		Status:          chat.SessionStatus(d.Status),
		EndReason:       d.EndReason,
		CreatedAt:       utc(d.StartTime),
		UpdatedAt:       utc(d.UpdatedAt),
		EndedAt:         fromOptional(d.EndedAt),
		Owner:           chat.Owner(d.Owner),
		AdminID:         d.AdminID,
		AdminName:       d.AdminName,
		Epoch:           d.Epoch,
		HelpRequestedAt: fromOptional(d.HelpRequestedAt),
		AdminAssisted:   d.AdminAssisted,
		SealedTitle:     d.Title,
	}
	if last != nil {
		s.LastSeq = last.Seq
		if u := utc(last.SessionUpdatedAt); u.After(s.UpdatedAt) {
			s.UpdatedAt = u
		}
	}
	return s
}

// newMessageDoc is the stored form of m at seq, with the session's
// UpdatedAt as of m.
func newMessageDoc(m chat.SealedMessage, seq int64, sessionUpdatedAt time.Time) messageDoc {
	content := m.Sealed
	if content == nil {
		content = []byte{} // nil would be stored as null; the field holds bytes
	}
	return messageDoc{
		Slot:             slotKey(m.SessionID, seq),
		MessageID:        m.ID,
		SessionID:        m.SessionID,
		Seq:              seq,
		IdemKey:          idemKey(m.MessageMeta),
		ClientMsgID:      m.ClientMsgID,
		AuthorID:         m.AuthorID,
		Sender:           string(m.Sender),
		SenderName:       m.SenderName,
		ReplyTo:          m.ReplyTo,
		ModelID:          m.ModelID,
		Interrupted:      m.Interrupted,
		TokensIn:         int64(m.TokensIn),
		TokensOut:        int64(m.TokensOut),
		CreatedAt:        m.CreatedAt,
		Content:          content,
		SessionUpdatedAt: sessionUpdatedAt,
	}
}

// message is the chat.SealedMessage d stores.
func (d messageDoc) message() chat.SealedMessage {
	content := d.Content
	if content == nil {
		content = []byte{} // an empty binary may decode as nil
	}
	return chat.SealedMessage{
		MessageMeta: chat.MessageMeta{
			ID:          d.MessageID,
			SessionID:   d.SessionID,
			Seq:         d.Seq,
			ClientMsgID: d.ClientMsgID,
			AuthorID:    d.AuthorID,
			Sender:      chat.Sender(d.Sender),
			SenderName:  d.SenderName,
			ReplyTo:     d.ReplyTo,
			ModelID:     d.ModelID,
			Interrupted: d.Interrupted,
			TokensIn:    int(d.TokensIn),
			TokensOut:   int(d.TokensOut),
			CreatedAt:   utc(d.CreatedAt),
		},
		Sealed: content,
	}
}

// utc returns t in UTC, as the contract promises callers.
func utc(t time.Time) time.Time { return t.UTC() }

// optionalTime stores a zero time as null, so the field says "not set"
// instead of holding year 1.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromOptional(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// later returns the later of two times; UpdatedAt only moves forward.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

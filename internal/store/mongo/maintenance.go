package mongo

import (
	"bytes"
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// ScanSessions returns up to limit sessions with ID greater than afterID,
// in ascending ID order (the _id index).
func (s *Store) ScanSessions(ctx context.Context, afterID string, limit int) ([]chat.Session, error) {
	if limit <= 0 {
		return []chat.Session{}, nil
	}
	var docs []sessionDoc
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: afterID}}}}
	if err := s.findAll(ctx, s.sessions, filter, &docs, opts); err != nil {
		return nil, fmt.Errorf("mongo: scan sessions: %w", err)
	}
	sessions, err := s.completeSessions(ctx, docs)
	if err != nil {
		return nil, fmt.Errorf("mongo: scan sessions: %w", err)
	}
	return sessions, nil
}

// ReplaceSealed swaps the content of message m from m.Sealed to sealed.
// The filter names the old content, so the update happens only if the
// message still holds it; nothing but a rekey job ever rewrites a message.
func (s *Store) ReplaceSealed(ctx context.Context, m chat.SealedMessage, sealed []byte) (bool, error) {
	if sealed == nil {
		sealed = []byte{}
	}
	filter := bson.D{
		{Key: "_id", Value: slotKey(m.SessionID, m.Seq)},
		{Key: "message_id", Value: m.ID},
		{Key: "content", Value: nonNil(m.Sealed)},
	}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "content", Value: sealed}}}}
	var matched bool
	err := s.retry.do(ctx, func(ctx context.Context) error {
		r, err := s.messages.UpdateOne(ctx, filter, update)
		if err != nil {
			return err
		}
		matched = r.MatchedCount > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("mongo: replace sealed content of message %s: %w", m.ID, err)
	}
	if matched {
		return true, nil
	}
	// Not matched: someone else changed it, or an earlier try of this very
	// update was applied and only its reply was lost.
	doc, err := s.readSlot(ctx, m.SessionID, m.Seq)
	if err != nil {
		return false, fmt.Errorf("mongo: replace sealed content of message %s: %w", m.ID, err)
	}
	return doc != nil && doc.MessageID == m.ID && bytes.Equal(doc.Content, sealed), nil
}

// ImportSession inserts the session document of s unless one exists. The
// session's LastSeq and UpdatedAt come from its messages once they are
// imported, as for any session.
func (s *Store) ImportSession(ctx context.Context, sess chat.Session) (bool, error) {
	if sess.ID == "" || sess.UserID == "" {
		return false, fmt.Errorf("mongo: import session: id and user id are required: %w", chat.ErrInvalid)
	}
	if sess.Owner == "" {
		sess.Owner = chat.OwnerAI
	}
	if err := s.ensureWritable(ctx); err != nil {
		return false, fmt.Errorf("mongo: import session: %w", err)
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.sessions.InsertOne(ctx, newSessionDoc(sess))
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	default:
		return false, fmt.Errorf("mongo: import session %s: %w", sess.ID, err)
	}
}

// ImportMessages inserts each message at its own seq's slot, chaining the
// session's UpdatedAt from message to message as AppendMessage does.
func (s *Store) ImportMessages(ctx context.Context, msgs []chat.SealedMessage) (int, error) {
	n, err := s.importMessages(ctx, msgs)
	if err != nil {
		return n, fmt.Errorf("mongo: import messages: %w", err)
	}
	return n, nil
}

func (s *Store) importMessages(ctx context.Context, msgs []chat.SealedMessage) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if err := checkImportOrder(msgs); err != nil {
		return 0, err
	}
	if err := s.ensureWritable(ctx); err != nil {
		return 0, err
	}
	sid := msgs[0].SessionID
	sd, err := s.loadSession(ctx, sid)
	if err != nil {
		return 0, err
	}
	// The chain starts at the session's start; the session document's own
	// UpdatedAt (the source's, which is at least every message's time) keeps
	// the session's UpdatedAt right while and after the messages come in.
	prevUpdated := sd.StartTime
	if first := msgs[0].Seq; first > 1 {
		prev, err := s.readSlot(ctx, sid, first-1)
		if err != nil {
			return 0, err
		}
		if prev == nil {
			return 0, fmt.Errorf("message %d of session %q is not stored; import in seq order: %w", first-1, sid, chat.ErrInvalid)
		}
		prevUpdated = prev.SessionUpdatedAt
	}
	inserted := 0
	for _, m := range msgs {
		doc := newMessageDoc(m, m.Seq, later(prevUpdated, m.CreatedAt))
		taken, err := s.insertMessage(ctx, doc)
		if err != nil {
			return inserted, err
		}
		switch {
		case taken == nil:
			inserted++
		case taken.occupant == nil:
			return inserted, fmt.Errorf("message %s: its id or client message id is already used by another message: %w", m.ID, chat.ErrInvalid)
		case taken.occupant.MessageID != m.ID:
			return inserted, fmt.Errorf("seq %d of session %q holds another message: %w", m.Seq, sid, chat.ErrInvalid)
		default:
			doc = *taken.occupant // imported before
		}
		prevUpdated = doc.SessionUpdatedAt
	}
	return inserted, nil
}

// checkImportOrder rejects a batch that is not one session's messages in
// consecutive seq order.
func checkImportOrder(msgs []chat.SealedMessage) error {
	for i, m := range msgs {
		switch {
		case m.ID == "":
			return fmt.Errorf("message id is empty: %w", chat.ErrInvalid)
		case m.SessionID != msgs[0].SessionID:
			return fmt.Errorf("messages of sessions %q and %q in one batch: %w", msgs[0].SessionID, m.SessionID, chat.ErrInvalid)
		case m.Seq < 1:
			return fmt.Errorf("message %s has seq %d: %w", m.ID, m.Seq, chat.ErrInvalid)
		case i > 0 && m.Seq != msgs[i-1].Seq+1:
			return fmt.Errorf("seq %d follows %d: import in consecutive seq order: %w", m.Seq, msgs[i-1].Seq, chat.ErrInvalid)
		}
	}
	return nil
}

// nonNil is b, or an empty slice for nil (which BSON would store as null).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

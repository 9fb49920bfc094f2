package mongo

import (
	"context"
	"errors"
	"fmt"
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// maxHeadProbes is how many slots past a cached head a read checks one by
// one before asking the database for the newest message.
const maxHeadProbes = 4

// maxSlotWalk is how many taken slots an append steps over one by one
// before asking the database for the newest message. Concurrent writers to
// one session are few, so a walk is usually a step or two.
const maxSlotWalk = 64

// AppendMessage stores m in the next free slot of its session (see the
// package documentation): it reads the session's newest message (seq n),
// inserts m at n+1, and on a duplicate key finds out why:
//
//   - slot n+1 holds another message: a concurrent writer took it, so m
//     goes to n+2, knowing n+1;
//   - slot n+1 holds m itself: an earlier try whose reply was lost stored it;
//   - slot n+1 is free: m's idempotency key (or its id) is taken, so m is a
//     duplicate of a stored message, which is returned with Duplicate set.
//
// The session document is read (is it active?) but never written, so an
// append cannot undo a concurrent state change. An append racing EndSession
// may land just after the end, as if it had come just before.
func (s *Store) AppendMessage(ctx context.Context, m chat.SealedMessage) (chat.AppendResult, error) {
	res, err := s.appendMessage(ctx, m)
	if err != nil {
		return chat.AppendResult{}, fmt.Errorf("mongo: append message: %w", err)
	}
	return res, nil
}

func (s *Store) appendMessage(ctx context.Context, m chat.SealedMessage) (chat.AppendResult, error) {
	if m.ID == "" {
		return chat.AppendResult{}, fmt.Errorf("message id is empty: %w", chat.ErrInvalid)
	}
	if err := s.ensureWritable(ctx); err != nil {
		return chat.AppendResult{}, err
	}
	unlock, err := s.locks.lock(ctx, m.SessionID)
	if err != nil {
		return chat.AppendResult{}, err
	}
	defer unlock()

	sess, err := s.loadSession(ctx, m.SessionID)
	if err == nil && sess.Status != string(chat.StatusActive) {
		err = fmt.Errorf("session %q: %w", m.SessionID, chat.ErrSessionEnded)
	}
	if errors.Is(err, chat.ErrNotFound) || errors.Is(err, chat.ErrSessionEnded) {
		// A retry gets its original back even when the session it names has
		// ended since, or does not exist.
		if dup, found, derr := s.findDuplicate(ctx, m.MessageMeta); derr != nil || found {
			return dup, derr
		}
	}
	if err != nil {
		return chat.AppendResult{}, err
	}

	prev, err := s.appendHead(ctx, m.SessionID)
	if err != nil {
		return chat.AppendResult{}, err
	}
	behind := false // a clash showed that prev lags: read ahead before inserting
	for step := 1; ; step++ {
		if step%maxSlotWalk == 0 {
			// Far behind (other processes are busy on this session): ask
			// for the newest message instead of walking the slots.
			if prev, err = s.newestMessage(ctx, m.SessionID); err != nil {
				return chat.AppendResult{}, err
			}
		}
		if behind {
			next, err := s.readSlot(ctx, m.SessionID, prev.seq+1)
			if err != nil {
				return chat.AppendResult{}, err
			}
			if next != nil && next.MessageID != m.ID {
				prev = head{seq: next.Seq, updatedAt: next.SessionUpdatedAt}
				continue
			}
		}
		doc := newMessageDoc(m, prev.seq+1, later(prev.updatedAt, m.CreatedAt))
		taken, err := s.insertMessage(ctx, doc)
		if err != nil {
			return chat.AppendResult{}, err
		}
		if taken == nil {
			s.heads.put(m.SessionID, head{seq: doc.Seq, updatedAt: doc.SessionUpdatedAt})
			return chat.AppendResult{Session: sess.session(&doc), Message: doc.message()}, nil
		}
		switch {
		case taken.occupant == nil:
			return s.duplicateOf(ctx, m.MessageMeta)
		case taken.occupant.MessageID == m.ID:
			return chat.AppendResult{Session: sess.session(taken.occupant), Message: taken.occupant.message()}, nil
		}
		prev, behind = head{seq: taken.occupant.Seq, updatedAt: taken.occupant.SessionUpdatedAt}, true
	}
}

// slotTaken says why an insert failed with a duplicate key.
type slotTaken struct {
	// occupant is the message in the slot, nil if the slot is free (then
	// another unique key, the idempotency key or the message id, clashed).
	occupant *messageDoc
}

// insertMessage inserts doc. On a duplicate key it returns what holds the
// slot instead of an error; any other failure is an error.
func (s *Store) insertMessage(ctx context.Context, doc messageDoc) (*slotTaken, error) {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.messages.InsertOne(ctx, doc)
		return err
	})
	if err == nil {
		return nil, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("insert message: %w", err)
	}
	occupant, err := s.readSlot(ctx, doc.SessionID, doc.Seq)
	if err != nil {
		return nil, err
	}
	return &slotTaken{occupant: occupant}, nil
}

// duplicateOf returns the stored original of m after an insert of m failed
// on a unique key other than its slot.
func (s *Store) duplicateOf(ctx context.Context, m chat.MessageMeta) (chat.AppendResult, error) {
	dup, found, err := s.findDuplicate(ctx, m)
	if err != nil || found {
		return dup, err
	}
	// Message ids come from the server; a clash is a bug upstream.
	return chat.AppendResult{}, fmt.Errorf("message id %q already exists: %w", m.ID, chat.ErrInvalid)
}

// findDuplicate returns the stored message with m's idempotency key and its
// session as it is now, with Duplicate set. A message without a client id
// never has a duplicate.
func (s *Store) findDuplicate(ctx context.Context, m chat.MessageMeta) (chat.AppendResult, bool, error) {
	if m.ClientMsgID == "" {
		return chat.AppendResult{}, false, nil
	}
	var orig messageDoc
	found, err := s.findOne(ctx, s.messages, bson.D{{Key: "idem_key", Value: idemKey(m)}}, &orig)
	if err != nil || !found {
		return chat.AppendResult{}, false, err
	}
	sess, err := s.currentSession(ctx, orig.SessionID)
	if err != nil {
		// The message is stored, so its session is too (or is completed
		// from the message): a failure here is storage trouble.
		return chat.AppendResult{}, false, fmt.Errorf("session of stored message %q: %v", orig.MessageID, err)
	}
	return chat.AppendResult{Session: sess, Message: orig.message(), Duplicate: true}, true, nil
}

// readSlot returns the message at (sessionID, seq), or nil if there is none.
func (s *Store) readSlot(ctx context.Context, sessionID string, seq int64) (*messageDoc, error) {
	var doc messageDoc
	found, err := s.findOne(ctx, s.messages, bson.D{{Key: "_id", Value: slotKey(sessionID, seq)}}, &doc)
	if err != nil || !found {
		return nil, err
	}
	return &doc, nil
}

// appendHead is where an append starts looking for a free slot: the cached
// head if there is one (the insert itself finds out if it lags), else the
// newest message.
func (s *Store) appendHead(ctx context.Context, sessionID string) (head, error) {
	if h, ok := s.heads.get(sessionID); ok {
		return h, nil
	}
	return s.newestMessage(ctx, sessionID)
}

// newestMessage returns the head of a session: its newest message's seq and
// SessionUpdatedAt, or the zero head if it has no message. It starts from
// the cached head and checks the slots after it by _id; with no cached head,
// or one that lags far behind, it asks for the highest slot instead.
func (s *Store) newestMessage(ctx context.Context, sessionID string) (head, error) {
	doc, err := s.newestMessageDoc(ctx, sessionID)
	if err != nil || doc == nil {
		return head{}, err
	}
	return head{seq: doc.Seq, updatedAt: doc.SessionUpdatedAt}, nil
}

// newestMessageDoc is newestMessage returning the whole message (nil if the
// session has none). With a cached head it reads the head's slot too.
func (s *Store) newestMessageDoc(ctx context.Context, sessionID string) (*messageDoc, error) {
	h, ok := s.heads.get(sessionID)
	if !ok {
		return s.queryNewestMessage(ctx, sessionID)
	}
	newest, err := s.readSlot(ctx, sessionID, h.seq)
	if err != nil {
		return nil, err
	}
	if newest == nil {
		// Not possible while messages are never deleted; do not trust it.
		return s.queryNewestMessage(ctx, sessionID)
	}
	for range maxHeadProbes {
		next, err := s.readSlot(ctx, sessionID, newest.Seq+1)
		if err != nil {
			return nil, err
		}
		if next == nil {
			s.heads.put(sessionID, head{seq: newest.Seq, updatedAt: newest.SessionUpdatedAt})
			return newest, nil
		}
		newest = next
	}
	return s.queryNewestMessage(ctx, sessionID)
}

// queryNewestMessage finds a session's highest slot: one step down the _id
// index on MongoDB.
func (s *Store) queryNewestMessage(ctx context.Context, sessionID string) (*messageDoc, error) {
	var doc messageDoc
	opts := options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})
	found, err := s.findOne(ctx, s.messages, slotRange(sessionID, 0), &doc, opts)
	if err != nil || !found {
		return nil, err
	}
	s.heads.put(sessionID, head{seq: doc.Seq, updatedAt: doc.SessionUpdatedAt})
	return &doc, nil
}

// slotRange selects a session's messages with seq > afterSeq by _id range
// (the session_id term only guards against session ids that contain '/').
func slotRange(sessionID string, afterSeq int64) bson.D {
	return bson.D{
		{Key: "_id", Value: bson.D{
			{Key: "$gt", Value: slotKey(sessionID, max(afterSeq, 0))},
			{Key: "$lte", Value: slotKey(sessionID, math.MaxInt64)},
		}},
		{Key: "session_id", Value: sessionID},
	}
}

// ListMessages returns up to limit messages of the session with seq greater
// than afterSeq, in ascending seq order. An unknown session, or a limit of
// 0 or less, yields an empty slice.
func (s *Store) ListMessages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]chat.SealedMessage, error) {
	msgs := []chat.SealedMessage{}
	if limit <= 0 {
		return msgs, nil
	}
	var docs []messageDoc
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))
	if err := s.findAll(ctx, s.messages, slotRange(sessionID, afterSeq), &docs, opts); err != nil {
		return nil, fmt.Errorf("mongo: list messages: %w", err)
	}
	for _, d := range docs {
		msgs = append(msgs, d.message())
	}
	return msgs, nil
}

// findOne decodes the first document matching filter into out and reports
// whether there was one, retrying transient failures.
func (s *Store) findOne(ctx context.Context, coll *mongo.Collection, filter any, out any, opts ...options.Lister[options.FindOneOptions]) (bool, error) {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		return coll.FindOne(ctx, filter, opts...).Decode(out)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	return true, nil
}

// findAll decodes every document matching filter into out (a pointer to a
// slice), retrying transient failures.
func (s *Store) findAll(ctx context.Context, coll *mongo.Collection, filter any, out any, opts ...options.Lister[options.FindOptions]) error {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		cur, err := coll.Find(ctx, filter, opts...)
		if err != nil {
			return err
		}
		return cur.All(ctx, out)
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	return nil
}

package mongo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Token usage is stored as one document per reply in usage_events and
// summed on read. Adding to a counter document with $inc would be one
// write, but some MongoDB-compatible servers (FerretDB) apply concurrent
// updates of one document as read-modify-write and lose additions; an
// insert of its own per reply cannot lose anything anywhere. The sums read
// at most a session's replies or a user's replies of one day, found through
// indexes (indexes.go).
//
// Provider conversation ids live in session_conversations, _id the session
// id, one field per provider (conversations.<provider id>).
const (
	usageEventsCollection   = "usage_events"
	conversationsCollection = "session_conversations"
)

type usageEvent struct {
	ID        string    `bson:"_id"`
	SessionID string    `bson:"session_id"`
	UserID    string    `bson:"user_id"`
	Day       string    `bson:"day"`
	At        time.Time `bson:"at"`
	TokensIn  int       `bson:"tokens_in"`
	TokensOut int       `bson:"tokens_out"`
}

// RecordUsage stores one usage event for the session and its user. A
// retry after an unknown outcome reuses the event id, so it cannot count a
// reply twice.
func (s *Store) RecordUsage(ctx context.Context, sessionID string, u chat.Usage, at time.Time) error {
	if u.InputTokens < 0 || u.OutputTokens < 0 {
		return fmt.Errorf("mongo: record usage: negative tokens: %w", chat.ErrInvalid)
	}
	userID, err := s.sessionUser(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("mongo: record usage: %w", err)
	}
	ev := usageEvent{ID: rand.Text(), SessionID: sessionID, UserID: userID, Day: chat.UsageDay(at), At: at,
		TokensIn: u.InputTokens, TokensOut: u.OutputTokens}
	err = s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(usageEventsCollection).InsertOne(ctx, ev)
		return err
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongo: record usage: %w", err)
	}
	return nil
}

// SessionUsage returns the session's token totals.
func (s *Store) SessionUsage(ctx context.Context, sessionID string) (chat.Usage, error) {
	u, err := s.sumUsage(ctx, bson.D{{Key: "session_id", Value: sessionID}})
	if err != nil {
		return chat.Usage{}, fmt.Errorf("mongo: session usage: %w", err)
	}
	return u, nil
}

// UserUsage returns the user's token totals for the UTC day of at.
func (s *Store) UserUsage(ctx context.Context, userID string, at time.Time) (chat.Usage, error) {
	u, err := s.sumUsage(ctx, bson.D{{Key: "user_id", Value: userID}, {Key: "day", Value: chat.UsageDay(at)}})
	if err != nil {
		return chat.Usage{}, fmt.Errorf("mongo: user usage: %w", err)
	}
	return u, nil
}

// ConversationIDs returns the provider conversation ids of a session.
func (s *Store) ConversationIDs(ctx context.Context, sessionID string) (map[string]string, error) {
	if _, err := s.sessionUser(ctx, sessionID); err != nil {
		return nil, fmt.Errorf("mongo: conversation ids: %w", err)
	}
	var d struct {
		Conversations map[string]string `bson:"conversations"`
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		return s.db.Collection(conversationsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: sessionID}}).Decode(&d)
	})
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("mongo: conversation ids: %w", err)
	}
	if d.Conversations == nil {
		return map[string]string{}, nil
	}
	return d.Conversations, nil
}

// SetConversationIDs merges ids into the session's conversation ids, one
// field per provider, so concurrent merges for different providers both
// survive.
func (s *Store) SetConversationIDs(ctx context.Context, sessionID string, ids map[string]string) error {
	if _, err := s.sessionUser(ctx, sessionID); err != nil {
		return fmt.Errorf("mongo: set conversation ids: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	set := bson.D{}
	for provider, id := range ids {
		// Provider ids come from configuration, but a dot or a leading $
		// would address another field: refuse them rather than guess.
		if provider == "" || strings.ContainsAny(provider, ".$") {
			return fmt.Errorf("mongo: set conversation ids: provider id %q: %w", provider, chat.ErrInvalid)
		}
		set = append(set, bson.E{Key: "conversations." + provider, Value: id})
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(conversationsCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: sessionID}},
			bson.D{{Key: "$set", Value: set}}, options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("mongo: set conversation ids: %w", err)
	}
	return nil
}

// sumUsage adds up the usage events matching filter. It sums on the
// client rather than with $group: the events of one session or one user's
// day are few, and FerretDB's $group got several $sum accumulators wrong.
func (s *Store) sumUsage(ctx context.Context, filter bson.D) (chat.Usage, error) {
	var u chat.Usage
	opts := options.Find().SetProjection(bson.D{{Key: "tokens_in", Value: 1}, {Key: "tokens_out", Value: 1}})
	err := s.retry.do(ctx, func(ctx context.Context) error {
		u = chat.Usage{}
		cur, err := s.db.Collection(usageEventsCollection).Find(ctx, filter, opts)
		if err != nil {
			return err
		}
		defer cur.Close(ctx)
		for cur.Next(ctx) {
			var ev usageEvent
			if err := cur.Decode(&ev); err != nil {
				return err
			}
			u.InputTokens += ev.TokensIn
			u.OutputTokens += ev.TokensOut
		}
		return cur.Err()
	})
	return u, err
}

func (s *Store) sessionUser(ctx context.Context, sessionID string) (string, error) {
	var doc struct {
		UserID string `bson:"user_id"`
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		return s.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: sessionID}},
			options.FindOne().SetProjection(bson.D{{Key: "user_id", Value: 1}})).Decode(&doc)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", fmt.Errorf("session %q: %w", sessionID, chat.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	return doc.UserID, nil
}

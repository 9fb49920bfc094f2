package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// uploadsCollection holds one document per uploaded file, its _id the file
// id. session_id and message_id stay "" until the file is sent.
const uploadsCollection = "uploads"

type uploadDoc struct {
	ID          string    `bson:"_id"`
	OwnerID     string    `bson:"owner_id"`
	SessionID   string    `bson:"session_id"`
	MessageID   string    `bson:"message_id"`
	Name        string    `bson:"name"`
	Size        int64     `bson:"size"`
	ContentType string    `bson:"content_type"`
	Key         string    `bson:"object_key"`
	CreatedAt   time.Time `bson:"created_at"`
}

func (d uploadDoc) upload() chat.Upload {
	return chat.Upload{ID: d.ID, OwnerID: d.OwnerID, SessionID: d.SessionID, MessageID: d.MessageID,
		Name: d.Name, Size: d.Size, ContentType: d.ContentType, Key: d.Key, CreatedAt: utc(d.CreatedAt)}
}

func (s *Store) uploads() *mongo.Collection { return s.db.Collection(uploadsCollection) }

// SaveUpload stores a new upload record; an existing id is chat.ErrConflict.
// A retried insert whose first attempt landed finds its own document and
// succeeds.
func (s *Store) SaveUpload(ctx context.Context, u chat.Upload) error {
	if u.ID == "" || u.Key == "" {
		return fmt.Errorf("mongo: save upload: id and key are required: %w", chat.ErrInvalid)
	}
	doc := uploadDoc{ID: u.ID, OwnerID: u.OwnerID, SessionID: u.SessionID, MessageID: u.MessageID,
		Name: u.Name, Size: u.Size, ContentType: u.ContentType, Key: u.Key, CreatedAt: u.CreatedAt}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.uploads().InsertOne(ctx, doc)
		return err
	})
	if mongo.IsDuplicateKeyError(err) {
		got, getErr := s.GetUpload(ctx, u.ID)
		if getErr == nil && got.Key == u.Key && got.OwnerID == u.OwnerID {
			return nil
		}
		return fmt.Errorf("mongo: save upload: %q exists: %w", u.ID, chat.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("mongo: save upload: %w", err)
	}
	return nil
}

// GetUpload returns an upload record or chat.ErrNotFound.
func (s *Store) GetUpload(ctx context.Context, id string) (chat.Upload, error) {
	var doc uploadDoc
	err := s.retry.do(ctx, func(ctx context.Context) error {
		return s.uploads().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return chat.Upload{}, fmt.Errorf("mongo: get upload %q: %w", id, chat.ErrNotFound)
	}
	if err != nil {
		return chat.Upload{}, fmt.Errorf("mongo: get upload %q: %w", id, err)
	}
	return doc.upload(), nil
}

// AttachUploads binds the uploads to a message, all or none. Without
// multi-document transactions it checks every record first, then claims
// each free one with an update conditional on it still being free, and
// releases the ones it claimed if a concurrent send took another first.
func (s *Store) AttachUploads(ctx context.Context, ownerID, sessionID, messageID string, ids []string) ([]chat.Upload, error) {
	if sessionID == "" || messageID == "" {
		return nil, fmt.Errorf("mongo: attach uploads: session and message ids are required: %w", chat.ErrInvalid)
	}
	recs := make([]chat.Upload, 0, len(ids))
	var free []string
	for _, id := range ids {
		u, err := s.GetUpload(ctx, id)
		if err != nil && !errors.Is(err, chat.ErrNotFound) {
			return nil, fmt.Errorf("mongo: attach uploads: %w", err)
		}
		mine := err == nil && u.OwnerID == ownerID
		again := mine && u.MessageID == messageID && u.SessionID == sessionID
		if !mine || (u.Attached() && !again) {
			return nil, fmt.Errorf("mongo: attach uploads: %w: %w: file %s is not the sender's or was sent in another message",
				chat.ErrInvalid, chat.ErrAttachment, id)
		}
		if !again {
			free = append(free, id)
		}
		u.SessionID, u.MessageID = sessionID, messageID
		recs = append(recs, u)
	}
	var claimed []string
	for _, id := range free {
		ok, err := s.setAttachment(ctx, id, "", "", sessionID, messageID)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %w: file %s was sent in another message meanwhile", chat.ErrInvalid, chat.ErrAttachment, id)
		}
		if err != nil {
			for _, c := range claimed {
				_, _ = s.setAttachment(context.WithoutCancel(ctx), c, sessionID, messageID, "", "")
			}
			return nil, fmt.Errorf("mongo: attach uploads: %w", err)
		}
		claimed = append(claimed, id)
	}
	return recs, nil
}

// setAttachment moves one upload from (fromSession, fromMessage) to
// (toSession, toMessage) and reports whether it was there to move.
func (s *Store) setAttachment(ctx context.Context, id, fromSession, fromMessage, toSession, toMessage string) (bool, error) {
	filter := bson.D{{Key: "_id", Value: id}, {Key: "session_id", Value: fromSession}, {Key: "message_id", Value: fromMessage}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "session_id", Value: toSession}, {Key: "message_id", Value: toMessage}}}}
	var matched int64
	err := s.retry.do(ctx, func(ctx context.Context) error {
		r, err := s.uploads().UpdateOne(ctx, filter, update)
		if err != nil {
			return err
		}
		matched = r.MatchedCount
		return nil
	})
	if err != nil {
		return false, err
	}
	if matched == 0 {
		// A retried update whose first attempt landed matches nothing now.
		u, err := s.GetUpload(ctx, id)
		return err == nil && u.SessionID == toSession && u.MessageID == toMessage, nil
	}
	return true, nil
}

// ListSessionUploads returns the uploads attached in a session.
func (s *Store) ListSessionUploads(ctx context.Context, sessionID string) ([]chat.Upload, error) {
	if sessionID == "" {
		return []chat.Upload{}, nil
	}
	out, err := s.findUploads(ctx, bson.D{{Key: "session_id", Value: sessionID}})
	if err != nil {
		return nil, fmt.Errorf("mongo: list uploads of session %q: %w", sessionID, err)
	}
	return out, nil
}

// ListUserUploads returns every upload of a user.
func (s *Store) ListUserUploads(ctx context.Context, ownerID string) ([]chat.Upload, error) {
	if ownerID == "" {
		return []chat.Upload{}, nil
	}
	out, err := s.findUploads(ctx, bson.D{{Key: "owner_id", Value: ownerID}})
	if err != nil {
		return nil, fmt.Errorf("mongo: list uploads of user %q: %w", ownerID, err)
	}
	return out, nil
}

func (s *Store) findUploads(ctx context.Context, filter bson.D) ([]chat.Upload, error) {
	out := []chat.Upload{}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}})
	err := s.retry.do(ctx, func(ctx context.Context) error {
		out = out[:0]
		cur, err := s.uploads().Find(ctx, filter, opts)
		if err != nil {
			return err
		}
		var docs []uploadDoc
		if err := cur.All(ctx, &docs); err != nil {
			return err
		}
		for _, d := range docs {
			out = append(out, d.upload())
		}
		return nil
	})
	return out, err
}

// DeleteUploads removes upload records; unknown ids are skipped.
func (s *Store) DeleteUploads(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.uploads().DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
		return err
	})
	if err != nil {
		return fmt.Errorf("mongo: delete uploads: %w", err)
	}
	return nil
}

package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// UploadUsage sums a user's stored uploads, attached or not. It adds the
// sizes up here rather than in a $group: FerretDB computes only the first
// of two accumulators, and a user's files are few (the quota bounds them).
func (s *Store) UploadUsage(ctx context.Context, ownerID string) (chat.UploadUsage, error) {
	var docs []struct {
		Size int64 `bson:"size"`
	}
	filter := bson.D{{Key: "owner_id", Value: ownerID}}
	opts := options.Find().SetProjection(bson.D{{Key: "size", Value: 1}})
	if err := s.findAll(ctx, s.uploads(), filter, &docs, opts); err != nil {
		return chat.UploadUsage{}, fmt.Errorf("mongo: upload usage of user %q: %w", ownerID, err)
	}
	u := chat.UploadUsage{Files: len(docs)}
	for _, d := range docs {
		u.Bytes += d.Size
	}
	return u, nil
}

// UnattachedBefore returns up to limit never attached uploads created
// before cutoff, oldest first (index idx_upload_unattached).
func (s *Store) UnattachedBefore(ctx context.Context, cutoff time.Time, limit int) ([]chat.Upload, error) {
	out := []chat.Upload{}
	if limit <= 0 {
		return out, nil
	}
	filter := bson.D{
		{Key: "message_id", Value: ""},
		{Key: "created_at", Value: bson.D{{Key: "$lt", Value: cutoff}}},
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit))
	var docs []uploadDoc
	if err := s.findAll(ctx, s.uploads(), filter, &docs, opts); err != nil {
		return nil, fmt.Errorf("mongo: unattached uploads before %s: %w", cutoff, err)
	}
	for _, d := range docs {
		out = append(out, d.upload())
	}
	return out, nil
}

// DeleteUnattached deletes an upload's record if it is still unattached.
// A single-document delete is atomic: of racing deleters the server
// reports the document deleted to one only. A retried delete whose first
// attempt landed reports false; the upload is gone either way, and at
// worst an expiry goes uncounted.
func (s *Store) DeleteUnattached(ctx context.Context, id string) (bool, error) {
	filter := bson.D{{Key: "_id", Value: id}, {Key: "message_id", Value: ""}}
	var deleted int64
	err := s.retry.do(ctx, func(ctx context.Context) error {
		r, err := s.uploads().DeleteOne(ctx, filter)
		if err != nil {
			return err
		}
		deleted = r.DeletedCount
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("mongo: delete unattached upload %q: %w", id, err)
	}
	return deleted > 0, nil
}

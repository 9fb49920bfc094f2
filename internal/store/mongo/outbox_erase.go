package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/notify"
)

var _ notify.SessionEraser = (*Outbox)(nil)

// EraseSessions deletes every notification of the given sessions, whatever
// its status, with their leases, and every window of the given rate limit
// scopes; see notify.SessionEraser. A worker holding a lease on a deleted
// row finds it gone when it reports the outcome (notify.ErrNotLeased) and
// drops it.
func (o *Outbox) EraseSessions(ctx context.Context, sessionIDs []string, scopes []string) (int, error) {
	n, err := o.eraseSessions(ctx, sessionIDs, scopes)
	if err != nil {
		return 0, fmt.Errorf("mongo: erase notifications of %d sessions: %w", len(sessionIDs), err)
	}
	return n, nil
}

func (o *Outbox) eraseSessions(ctx context.Context, sessionIDs []string, scopes []string) (int, error) {
	var deleted int64
	if len(sessionIDs) > 0 {
		bySession := bson.D{{Key: "session_id", Value: bson.D{{Key: "$in", Value: sessionIDs}}}}
		var docs []struct {
			ID string `bson:"_id"`
		}
		idsOnly := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}})
		if err := o.s.findAll(ctx, o.notes, bySession, &docs, idsOnly); err != nil {
			return 0, err
		}
		if len(docs) > 0 {
			noteIDs := make([]string, len(docs))
			for i, d := range docs {
				noteIDs[i] = d.ID
			}
			// Leases first, so none is left pointing at a deleted row.
			leases := bson.D{{Key: "note_id", Value: bson.D{{Key: "$in", Value: noteIDs}}}}
			if err := o.s.deleteMany(ctx, o.leases, leases, nil); err != nil {
				return 0, err
			}
		}
		if err := o.s.deleteMany(ctx, o.notes, bySession, &deleted); err != nil {
			return 0, err
		}
	}
	if len(scopes) > 0 {
		byScope := bson.D{{Key: "scope", Value: bson.D{{Key: "$in", Value: scopes}}}}
		if err := o.s.deleteMany(ctx, o.windows, byScope, nil); err != nil {
			return 0, err
		}
	}
	return int(deleted), nil
}

package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reply leases use two collections:
//   - owed_replies: _id the session id; the newest user seq owed a reply
//     and when the session first owed it.
//   - reply_leases: _id "<session id>/<epoch as 20 digits>". Taking a lease
//     that is free or expired inserts the next epoch, so of instances
//     claiming at once exactly one wins, by the unique _id, without relying
//     on atomic conditional updates (which FerretDB lacks). Only the holder
//     of the newest epoch updates it: to renew it, or to release it.
const (
	owedRepliesCollection = "owed_replies"
	replyLeasesCollection = "reply_leases"
)

type owedReplyDoc struct {
	ID     string    `bson:"_id"`
	Seq    int64     `bson:"seq"`
	OwedAt time.Time `bson:"owed_at"`
}

type replyLeaseDoc struct {
	ID        string    `bson:"_id"`
	SessionID string    `bson:"session_id"`
	Epoch     int64     `bson:"epoch"`
	Owner     string    `bson:"owner"` // "" once released
	Until     time.Time `bson:"until"`
}

func leaseKey(sessionID string, epoch int64) string {
	return fmt.Sprintf("%s/%020d", sessionID, epoch)
}

// OweReply records that the session owes a reply to user message seq.
// Two messages of one session racing here could keep the lower seq on a
// server without atomic updates; the assistant reads the session's
// messages before answering, so a lower seq only delays nothing.
func (s *Store) OweReply(ctx context.Context, sessionID string, seq int64, at time.Time) error {
	if _, err := s.sessionUser(ctx, sessionID); err != nil {
		return fmt.Errorf("mongo: owe reply: %w", err)
	}
	update := bson.D{
		{Key: "$max", Value: bson.D{{Key: "seq", Value: seq}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "owed_at", Value: at}}},
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(owedRepliesCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: sessionID}},
			update, options.UpdateOne().SetUpsert(true))
		if mongo.IsDuplicateKeyError(err) {
			// Two upserts raced to insert; the other's document exists now.
			_, err = s.db.Collection(owedRepliesCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: sessionID}}, update)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("mongo: owe reply: %w", err)
	}
	return nil
}

// ClaimReply leases the session's owed reply to owner until until.
func (s *Store) ClaimReply(ctx context.Context, sessionID, owner string, now, until time.Time) (bool, error) {
	ok, err := s.claimReply(ctx, sessionID, owner, now, until)
	if err != nil {
		return false, fmt.Errorf("mongo: claim reply: %w", err)
	}
	return ok, nil
}

func (s *Store) claimReply(ctx context.Context, sessionID, owner string, now, until time.Time) (bool, error) {
	if owed, err := s.owedReply(ctx, sessionID); err != nil || owed == nil {
		return false, err
	}
	latest, err := s.latestLease(ctx, sessionID)
	if err != nil {
		return false, err
	}
	if latest != nil && latest.Owner == owner {
		// A renewal: only the holder writes its own epoch. A newer epoch
		// inserted meanwhile means the lease was lost; the check after the
		// write sees it.
		err := s.retry.do(ctx, func(ctx context.Context) error {
			_, err := s.db.Collection(replyLeasesCollection).UpdateOne(ctx,
				bson.D{{Key: "_id", Value: latest.ID}, {Key: "owner", Value: owner}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "until", Value: until}}}})
			return err
		})
		if err != nil {
			return false, err
		}
		cur, err := s.latestLease(ctx, sessionID)
		return err == nil && cur != nil && cur.ID == latest.ID, err
	}
	if latest != nil && latest.Owner != "" && latest.Until.After(now) {
		return false, nil // another instance answers
	}
	next := int64(1)
	if latest != nil {
		next = latest.Epoch + 1
	}
	doc := replyLeaseDoc{ID: leaseKey(sessionID, next), SessionID: sessionID, Epoch: next, Owner: owner, Until: until}
	err = s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(replyLeasesCollection).InsertOne(ctx, doc)
		return err
	})
	if mongo.IsDuplicateKeyError(err) {
		// Another instance took this epoch first, or a retry of this
		// insert found its own first attempt.
		won, err := s.latestLease(ctx, sessionID)
		return err == nil && won != nil && won.ID == doc.ID && won.Owner == owner, err
	}
	return err == nil, err
}

// SettleReply drops the debt if answered covers it, else releases owner's
// lease on it.
func (s *Store) SettleReply(ctx context.Context, sessionID, owner string, answered int64) (bool, error) {
	owed, err := s.settleReply(ctx, sessionID, owner, answered)
	if err != nil {
		return false, fmt.Errorf("mongo: settle reply: %w", err)
	}
	return owed, nil
}

func (s *Store) settleReply(ctx context.Context, sessionID, owner string, answered int64) (bool, error) {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(owedRepliesCollection).DeleteOne(ctx,
			bson.D{{Key: "_id", Value: sessionID}, {Key: "seq", Value: bson.D{{Key: "$lte", Value: answered}}}})
		return err
	})
	if err != nil {
		return false, err
	}
	owed, err := s.owedReply(ctx, sessionID)
	if err != nil {
		return false, err
	}
	if owed == nil {
		// Nothing owed: the session's lease history can go.
		err := s.retry.do(ctx, func(ctx context.Context) error {
			_, err := s.db.Collection(replyLeasesCollection).DeleteMany(ctx, bson.D{{Key: "session_id", Value: sessionID}})
			return err
		})
		return false, err
	}
	latest, err := s.latestLease(ctx, sessionID)
	if err != nil || latest == nil || latest.Owner != owner {
		return true, err
	}
	err = s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(replyLeasesCollection).UpdateOne(ctx,
			bson.D{{Key: "_id", Value: latest.ID}, {Key: "owner", Value: owner}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: ""}, {Key: "until", Value: time.Time{}}}}})
		return err
	})
	return true, err
}

// OrphanedReplies lists sessions owing a reply whose lease has expired.
func (s *Store) OrphanedReplies(ctx context.Context, owedBefore, now time.Time, limit int) ([]string, error) {
	ids, err := s.orphanedReplies(ctx, owedBefore, now, limit)
	if err != nil {
		return nil, fmt.Errorf("mongo: orphaned replies: %w", err)
	}
	return ids, nil
}

func (s *Store) orphanedReplies(ctx context.Context, owedBefore, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	var owed []owedReplyDoc
	err := s.retry.do(ctx, func(ctx context.Context) error {
		// Leased debts are skipped below; reading a few times the limit
		// keeps one busy session from hiding the orphans behind it.
		cur, err := s.db.Collection(owedRepliesCollection).Find(ctx,
			bson.D{{Key: "owed_at", Value: bson.D{{Key: "$lte", Value: owedBefore}}}},
			options.Find().SetSort(bson.D{{Key: "owed_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)*4))
		if err != nil {
			return err
		}
		return cur.All(ctx, &owed)
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, o := range owed {
		latest, err := s.latestLease(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		if latest == nil || latest.Owner == "" || !latest.Until.After(now) {
			ids = append(ids, o.ID)
			if len(ids) == limit {
				break
			}
		}
	}
	return ids, nil
}

func (s *Store) owedReply(ctx context.Context, sessionID string) (*owedReplyDoc, error) {
	var d owedReplyDoc
	err := s.retry.do(ctx, func(ctx context.Context) error {
		return s.db.Collection(owedRepliesCollection).FindOne(ctx, bson.D{{Key: "_id", Value: sessionID}}).Decode(&d)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Store) latestLease(ctx context.Context, sessionID string) (*replyLeaseDoc, error) {
	var d replyLeaseDoc
	err := s.retry.do(ctx, func(ctx context.Context) error {
		return s.db.Collection(replyLeasesCollection).FindOne(ctx, bson.D{{Key: "session_id", Value: sessionID}},
			options.FindOne().SetSort(bson.D{{Key: "epoch", Value: -1}})).Decode(&d)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

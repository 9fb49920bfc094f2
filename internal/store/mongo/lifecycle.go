package mongo

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// endingsCollection holds one document per session an idle sweep decided
// to end, its _id the session id: of sweepers racing on any number of
// instances, exactly one inserts it, and only that one ends the session.
// A conditional update alone would not do: on FerretDB two of them racing
// on one document may both apply (see the package comment).
const endingsCollection = "session_endings"

// staleEnding is how old a claim may get while its session stays active
// before another sweeper finishes the ending: the claimant died (or lost
// storage) between claiming and ending. It is far longer than the two
// writes in between take.
const staleEnding = time.Minute

// idleCandidatePage is how many session documents EndIdleSessions reads at
// a time while looking for idle sessions.
const idleCandidatePage = 100

// endingDoc is a claim to end one session.
type endingDoc struct {
	SessionID string    `bson:"_id"`
	Reason    string    `bson:"reason"`
	At        time.Time `bson:"at"`
	Claim     string    `bson:"claim"` // random per claimant: tells our own retried insert from a rival's
}

// EndIdleSessions ends up to limit active sessions idle since before
// idleBefore; see chat.LifecycleStore.
//
// A session document's updated_at is not advanced by appends (a message
// carries the session's UpdatedAt instead), so it is a lower bound of the
// session's UpdatedAt: documents with updated_at >= idleBefore are surely
// not idle, and each other active one is checked against its newest
// message. The walk therefore reads every active session whose state last
// changed before idleBefore, a page at a time.
func (s *Store) EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]chat.Session, error) {
	out, err := s.endIdleSessions(ctx, idleBefore, at, limit)
	if err != nil {
		// Sessions ended before the failure stay ended: return them, so
		// the caller still announces and counts them.
		return out, fmt.Errorf("mongo: end idle sessions: %w", err)
	}
	return out, nil
}

func (s *Store) endIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]chat.Session, error) {
	out := []chat.Session{}
	if limit <= 0 {
		return out, nil
	}
	if err := s.ensureWritable(ctx); err != nil {
		return out, err
	}
	claim := rand.Text()
	filter := bson.D{
		{Key: "status", Value: string(chat.StatusActive)},
		{Key: "updated_at", Value: bson.D{{Key: "$lt", Value: idleBefore}}},
	}
	opts := options.Find().SetSort(bson.D{{Key: "updated_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(idleCandidatePage)
	for {
		var docs []sessionDoc
		if err := s.findAll(ctx, s.sessions, filter, &docs, opts); err != nil {
			return out, err
		}
		for _, d := range docs {
			sess, err := s.withNewestMessage(ctx, d)
			if err != nil {
				return out, err
			}
			if !sess.UpdatedAt.Before(idleBefore) {
				continue
			}
			ended, ok, err := s.endIdle(ctx, sess.ID, claim, at)
			if err != nil {
				return out, err
			}
			if ok {
				out = append(out, ended)
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if len(docs) < idleCandidatePage {
			return out, nil
		}
		last := docs[len(docs)-1]
		filter = bson.D{
			{Key: "status", Value: string(chat.StatusActive)},
			{Key: "updated_at", Value: bson.D{{Key: "$lt", Value: idleBefore}}},
			{Key: "$or", Value: bson.A{
				bson.D{{Key: "updated_at", Value: bson.D{{Key: "$gt", Value: last.UpdatedAt}}}},
				bson.D{{Key: "updated_at", Value: last.UpdatedAt}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: last.ID}}}},
			}},
		}
	}
}

// endIdle claims the ending of session id and, if this caller won the
// claim (or finishes a stale one), ends the session. ok reports whether
// this call ended it.
func (s *Store) endIdle(ctx context.Context, id, claim string, at time.Time) (chat.Session, bool, error) {
	won, err := s.claimEnding(ctx, endingDoc{SessionID: id, Reason: chat.EndByIdle, At: at, Claim: claim})
	if err != nil || !won {
		return chat.Session{}, false, err
	}
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "status", Value: string(chat.StatusEnded)},
			{Key: "end_reason", Value: chat.EndByIdle},
			{Key: "ended_at", Value: at},
		}},
		{Key: "$max", Value: bson.D{{Key: "updated_at", Value: at}}},
	}
	res, err := s.updateActive(ctx, id, nil, update)
	if err != nil {
		return chat.Session{}, false, err
	}
	sess := res.session
	if !res.matched && !(res.retried && sess.EndReason == chat.EndByIdle && sess.EndedAt.Equal(at)) {
		return chat.Session{}, false, nil // ended otherwise meanwhile
	}
	return sess, true, nil
}

// claimEnding inserts the claim c. It reports true when c is now the
// session's claim (inserted by this call or by an earlier try of it whose
// reply was lost), or when the claim there is stale and this caller takes
// over finishing it; false when a live rival claim exists.
func (s *Store) claimEnding(ctx context.Context, c endingDoc) (bool, error) {
	endings := s.db.Collection(endingsCollection)
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := endings.InsertOne(ctx, c)
		return err
	})
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("claim ending of session %q: %w", c.SessionID, err)
	}
	var existing endingDoc
	found, err := s.findOne(ctx, endings, bson.D{{Key: "_id", Value: c.SessionID}}, &existing)
	if err != nil || !found {
		// Gone again: the session was deleted meanwhile.
		return false, err
	}
	return existing.Claim == c.Claim || existing.At.Add(staleEnding).Before(c.At), nil
}

// EndedBefore lists up to limit ended sessions whose EndedAt is before
// cutoff, longest ended first.
func (s *Store) EndedBefore(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	ids := []string{}
	if limit <= 0 {
		return ids, nil
	}
	filter := bson.D{
		{Key: "status", Value: string(chat.StatusEnded)},
		{Key: "ended_at", Value: bson.D{{Key: "$lt", Value: cutoff}}},
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "ended_at", Value: 1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "_id", Value: 1}})
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := s.findAll(ctx, s.sessions, filter, &docs, opts); err != nil {
		return nil, fmt.Errorf("mongo: sessions ended before %s: %w", cutoff, err)
	}
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// DeleteSessions deletes the sessions with their messages, ownership
// records, ending claims, provider conversation ids, owed replies and
// reply leases; see chat.LifecycleStore.
//
// Without transactions the order matters. Messages go first: a session
// document missing while its first message exists would be completed
// again from the copy that message carries (see StartSession). They go
// once more at the end, for a message an append racing the deletion
// stored after the first pass; such an orphan has no session copy, so it
// could never bring its session back, but it must not stay either.
func (s *Store) DeleteSessions(ctx context.Context, ids []string) (int, error) {
	n, err := s.deleteSessions(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("mongo: delete %d sessions: %w", len(ids), err)
	}
	return n, nil
}

func (s *Store) deleteSessions(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	if err := s.ensureWritable(ctx); err != nil {
		return 0, err
	}
	if err := s.deleteSlots(ctx, s.messages, ids); err != nil {
		return 0, err
	}
	for _, coll := range []*mongo.Collection{s.ownership, s.db.Collection(replyLeasesCollection)} {
		if err := s.deleteSlots(ctx, coll, ids); err != nil {
			return 0, err
		}
	}
	byID := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	if err := s.unlinkUsage(ctx, ids); err != nil {
		return 0, err
	}
	for _, coll := range []string{endingsCollection, conversationsCollection, owedRepliesCollection} {
		if err := s.deleteMany(ctx, s.db.Collection(coll), byID, nil); err != nil {
			return 0, err
		}
	}
	var deleted int64
	if err := s.deleteMany(ctx, s.sessions, byID, &deleted); err != nil {
		return 0, err
	}
	if err := s.deleteSlots(ctx, s.messages, ids); err != nil {
		return 0, err
	}
	return int(deleted), nil
}

// unlinkUsage detaches the sessions' usage events from them: the token
// counts stay, because the user's daily budget is summed from them (the
// SQLite adapter likewise keeps its per-user daily totals), but nothing
// ties them to a deleted session any more.
func (s *Store) unlinkUsage(ctx context.Context, ids []string) error {
	filter := bson.D{{Key: "session_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "session_id", Value: ""}}}}
	coll := s.db.Collection(usageEventsCollection)
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := coll.UpdateMany(ctx, filter, update)
		return err
	})
	if err != nil {
		return fmt.Errorf("unlink usage events: %w", err)
	}
	return nil
}

// deleteSlots deletes every document keyed slotKey(id, n) of each session
// (messages, ownership records, reply leases), by _id range.
func (s *Store) deleteSlots(ctx context.Context, coll *mongo.Collection, ids []string) error {
	for _, id := range ids {
		filter := bson.D{
			{Key: "_id", Value: bson.D{
				{Key: "$gte", Value: slotKey(id, 0)},
				{Key: "$lte", Value: slotKey(id, math.MaxInt64)},
			}},
			{Key: "session_id", Value: id},
		}
		if err := s.deleteMany(ctx, coll, filter, nil); err != nil {
			return err
		}
	}
	return nil
}

// deleteMany deletes what filter matches, retrying transient failures
// (deleting again is harmless), and adds the count to deleted if set.
func (s *Store) deleteMany(ctx context.Context, coll *mongo.Collection, filter bson.D, deleted *int64) error {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		r, err := coll.DeleteMany(ctx, filter)
		if err != nil {
			return err
		}
		if deleted != nil {
			*deleted += r.DeletedCount
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete from %s: %w", coll.Name(), err)
	}
	return nil
}

package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// Outbox collections.
const (
	notificationsCollection = "notifications"
	// notification_leases holds one document per claim of a notification
	// (its _id: "<notification id>/<attempt, 20 digits>"): of concurrent
	// claimers exactly one inserts it.
	leasesCollection = "notification_leases"
	// notification_windows holds one document per accepted rate-limited
	// batch (its _id: "<scope>/<generation, 20 digits>"), claimed the same
	// way.
	windowsCollection = "notification_windows"
)

// claimRounds bounds how often one Claim looks again for due rows after
// losing some to other claimers.
const claimRounds = 3

// maxWindowTries bounds how often Enqueue retries claiming a rate limit
// window that a concurrent batch claimed first.
const maxWindowTries = 8

// Outbox is the notification outbox (notify.Outbox) in the Store's
// database. Like the rest of the adapter it needs no transactions and no
// atomic read-modify-write: whatever must be decided once (a row's key, a
// claim of an attempt, a rate limit window) is decided by inserting a
// document with a unique key, and only the winner then updates the row.
type Outbox struct {
	s       *Store
	notes   *mongo.Collection
	leases  *mongo.Collection
	windows *mongo.Collection
}

var _ notify.Outbox = (*Outbox)(nil)

// Outbox returns the Store's notification outbox. It is valid until the
// Store is closed.
func (s *Store) Outbox() *Outbox {
	return &Outbox{
		s:       s,
		notes:   s.db.Collection(notificationsCollection),
		leases:  s.db.Collection(leasesCollection),
		windows: s.db.Collection(windowsCollection),
	}
}

// notLeased is the lease_until of a row nobody holds.
func notLeased() time.Time { return time.UnixMilli(0).UTC() }

// noteDoc is a document of the notifications collection.
type noteDoc struct {
	ID            string     `bson:"_id"`
	Key           string     `bson:"key"`
	Event         string     `bson:"event"`
	Channel       string     `bson:"channel"`
	Recipient     string     `bson:"recipient"`
	SessionID     string     `bson:"session_id"`
	Payload       []byte     `bson:"payload"`
	Status        string     `bson:"status"`
	Attempts      int64      `bson:"attempts"`
	NextAttemptAt time.Time  `bson:"next_attempt_at"`
	LastError     string     `bson:"last_error"`
	CreatedAt     time.Time  `bson:"created_at"`
	UpdatedAt     time.Time  `bson:"updated_at"`
	SentAt        *time.Time `bson:"sent_at"`
	LeaseOwner    string     `bson:"lease_owner"`
	LeaseUntil    time.Time  `bson:"lease_until"`
}

func (d noteDoc) notification() notify.Notification {
	payload := d.Payload
	if payload == nil {
		payload = []byte{}
	}
	return notify.Notification{
		ID: d.ID, Key: d.Key, Event: notify.EventType(d.Event), Channel: notify.Channel(d.Channel),
		Recipient: d.Recipient, SessionID: d.SessionID, Payload: payload,
		Status: notify.Status(d.Status), Attempts: int(d.Attempts), NextAttemptAt: utc(d.NextAttemptAt),
		LastError: d.LastError, CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt), SentAt: fromOptional(d.SentAt),
	}
}

// leaseDoc records one claim: attempt Attempt of a notification, held by
// Owner until Until.
type leaseDoc struct {
	Key     string    `bson:"_id"`
	NoteID  string    `bson:"note_id"`
	Attempt int64     `bson:"attempt"`
	Owner   string    `bson:"owner"`
	Until   time.Time `bson:"until"`
}

// windowDoc records one accepted batch of a rate limit scope.
type windowDoc struct {
	Key        string    `bson:"_id"`
	Scope      string    `bson:"scope"`
	Generation int64     `bson:"generation"`
	Until      time.Time `bson:"until"` // the window's end; the epoch for a forgotten scope
	Batch      string    `bson:"batch"` // the first key of the batch that opened it
}

// Enqueue stores a batch; see notify.Outbox. Without transactions a batch
// is not written atomically, but it is written idempotently: the rows are
// keyed by their dedupe keys, and a rate limit window remembers the batch
// that opened it, so a batch cut off half way is completed, not refused, by
// its retry.
func (o *Outbox) Enqueue(ctx context.Context, at time.Time, batch []notify.Notification, limit *notify.RateLimit) (notify.EnqueueResult, error) {
	res, err := o.enqueue(ctx, at, batch, limit)
	if err != nil {
		return notify.EnqueueResult{}, fmt.Errorf("mongo: enqueue notifications: %w", err)
	}
	return res, nil
}

func (o *Outbox) enqueue(ctx context.Context, at time.Time, batch []notify.Notification, limit *notify.RateLimit) (notify.EnqueueResult, error) {
	var res notify.EnqueueResult
	if len(batch) == 0 {
		return res, ctx.Err()
	}
	if err := o.s.ensureWritable(ctx); err != nil {
		return res, err
	}
	keys := make(bson.A, len(batch))
	for i, n := range batch {
		keys[i] = n.Key
	}
	var existing int64
	err := o.s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		existing, err = o.notes.CountDocuments(ctx, bson.D{{Key: "key", Value: bson.D{{Key: "$in", Value: keys}}}})
		return err
	})
	if err != nil {
		return res, fmt.Errorf("look up dedupe keys: %w", err)
	}
	if int(existing) == len(batch) {
		res.Duplicates = len(batch)
		return res, nil
	}
	if limit != nil && limit.Window > 0 {
		open, err := o.openWindow(ctx, limit.Scope, at, at.Add(limit.Window), batch[0].Key)
		if err != nil {
			return res, err
		}
		if !open {
			res.Limited = true
			return res, nil
		}
	}
	for _, n := range batch {
		due := n.NextAttemptAt
		if due.IsZero() {
			due = at
		}
		doc := noteDoc{
			ID: n.ID, Key: n.Key, Event: string(n.Event), Channel: string(n.Channel), Recipient: n.Recipient,
			SessionID: n.SessionID, Payload: nonNil(n.Payload), Status: string(notify.Pending),
			NextAttemptAt: due, CreatedAt: at, UpdatedAt: at, LeaseUntil: notLeased(),
		}
		err := o.s.retry.do(ctx, func(ctx context.Context) error {
			_, err := o.notes.InsertOne(ctx, doc)
			return err
		})
		switch {
		case err == nil:
			res.Stored++
		case mongo.IsDuplicateKeyError(err):
			res.Duplicates++
		default:
			return res, fmt.Errorf("insert %s: %w", n.ID, err)
		}
	}
	return res, nil
}

// openWindow decides whether a batch may pass scope's rate limit at at: it
// may if the scope's newest window has ended (or was opened by this very
// batch, on a try cut off before), and then opens the next window by
// inserting it. Of concurrent batches exactly one inserts it.
func (o *Outbox) openWindow(ctx context.Context, scope string, at, until time.Time, batchKey string) (bool, error) {
	for range maxWindowTries {
		latest, err := o.latestWindow(ctx, scope)
		if err != nil {
			return false, err
		}
		var gen int64
		if latest != nil {
			if latest.Until.After(at) {
				return latest.Batch == batchKey, nil
			}
			gen = latest.Generation
		}
		inserted, err := o.insertWindow(ctx, windowDoc{
			Key: slotKey(scope, gen+1), Scope: scope, Generation: gen + 1, Until: until, Batch: batchKey,
		})
		if err != nil || inserted {
			return inserted, err
		}
	}
	return false, fmt.Errorf("rate limit %q: gave up after %d contended tries", scope, maxWindowTries)
}

func (o *Outbox) latestWindow(ctx context.Context, scope string) (*windowDoc, error) {
	var w windowDoc
	opts := options.FindOne().SetSort(bson.D{{Key: "generation", Value: -1}})
	found, err := o.s.findOne(ctx, o.windows, bson.D{{Key: "scope", Value: scope}}, &w, opts)
	if err != nil || !found {
		return nil, err
	}
	return &w, nil
}

// insertWindow inserts w and reports whether it was new.
func (o *Outbox) insertWindow(ctx context.Context, w windowDoc) (bool, error) {
	err := o.s.retry.do(ctx, func(ctx context.Context) error {
		_, err := o.windows.InsertOne(ctx, w)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	default:
		return false, fmt.Errorf("open rate limit window: %w", err)
	}
}

// Claim leases due notifications to owner; see notify.Outbox. Each due row
// at attempt n is claimed by inserting its lease of attempt n+1; the winner
// then records the lease in the row.
func (o *Outbox) Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, max int) ([]notify.Notification, error) {
	if owner == "" || max < 1 || lease <= 0 {
		return nil, fmt.Errorf("mongo: claim notifications: owner %q, max %d, lease %s: invalid", owner, max, lease)
	}
	var out []notify.Notification
	for range claimRounds {
		due, err := o.due(ctx, at, max-len(out))
		if err != nil {
			return nil, fmt.Errorf("mongo: claim notifications: %w", err)
		}
		lost := false
		for _, d := range due {
			n, won, err := o.claimOne(ctx, d, owner, at, at.Add(lease))
			if err != nil {
				return nil, fmt.Errorf("mongo: claim notifications: %w", err)
			}
			if won {
				out = append(out, n)
			} else {
				lost = true
			}
		}
		if !lost || len(out) == max {
			break
		}
	}
	return out, nil
}

// due returns up to n pending rows due at at whose lease, if any, has
// ended, oldest due first.
func (o *Outbox) due(ctx context.Context, at time.Time, n int) ([]noteDoc, error) {
	filter := bson.D{
		{Key: "status", Value: string(notify.Pending)},
		{Key: "next_attempt_at", Value: bson.D{{Key: "$lte", Value: at}}},
		{Key: "lease_until", Value: bson.D{{Key: "$lte", Value: at}}},
	}
	opts := options.Find().SetSort(bson.D{{Key: "next_attempt_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(n))
	var docs []noteDoc
	if err := o.s.findAll(ctx, o.notes, filter, &docs, opts); err != nil {
		return nil, err
	}
	return docs, nil
}

// claimOne tries to claim row d (as read) for owner until until.
func (o *Outbox) claimOne(ctx context.Context, d noteDoc, owner string, at, until time.Time) (notify.Notification, bool, error) {
	l := leaseDoc{Key: slotKey(d.ID, d.Attempts+1), NoteID: d.ID, Attempt: d.Attempts + 1, Owner: owner, Until: until}
	err := o.s.retry.do(ctx, func(ctx context.Context) error {
		_, err := o.leases.InsertOne(ctx, l)
		return err
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return notify.Notification{}, false, fmt.Errorf("lease %s: %w", d.ID, err)
	}
	if err != nil {
		var held leaseDoc
		if _, err := o.s.findOne(ctx, o.leases, bson.D{{Key: "_id", Value: l.Key}}, &held); err != nil {
			return notify.Notification{}, false, err
		}
		if held.Owner != owner || !held.Until.Equal(until) {
			if !held.Until.After(at) {
				// A claim whose holder died before recording it, and which
				// has run out: record it as the expired lease it is, so the
				// next claim can take the next attempt.
				return notify.Notification{}, false, o.recordLease(ctx, d, held, at)
			}
			return notify.Notification{}, false, nil // another claimer won
		}
		// Our own lease, inserted by a try whose reply was lost.
	}
	if err := o.recordLease(ctx, d, l, at); err != nil {
		return notify.Notification{}, false, err
	}
	d.Attempts, d.LeaseOwner, d.LeaseUntil = l.Attempt, l.Owner, l.Until
	d.UpdatedAt = later(d.UpdatedAt, at)
	return d.notification(), true, nil
}

// recordLease writes lease l into row d, if the row is still at the attempt
// before it.
func (o *Outbox) recordLease(ctx context.Context, d noteDoc, l leaseDoc, at time.Time) error {
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "attempts", Value: l.Attempt},
			{Key: "lease_owner", Value: l.Owner},
			{Key: "lease_until", Value: l.Until},
		}},
		{Key: "$max", Value: bson.D{{Key: "updated_at", Value: at}}},
	}
	err := o.s.retry.do(ctx, func(ctx context.Context) error {
		_, err := o.notes.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "attempts", Value: l.Attempt - 1}}, update)
		return err
	})
	if err != nil {
		return fmt.Errorf("record lease of %s: %w", d.ID, err)
	}
	return nil
}

// Complete marks a leased notification sent; see notify.Outbox.
func (o *Outbox) Complete(ctx context.Context, id, owner string, at time.Time) error {
	return o.settle(ctx, "complete", id, owner, at, bson.D{
		{Key: "status", Value: string(notify.Sent)},
		{Key: "sent_at", Value: at},
	})
}

// Retry makes a leased notification due again at next; see notify.Outbox.
func (o *Outbox) Retry(ctx context.Context, id, owner string, at, next time.Time, reason string) error {
	return o.settle(ctx, "retry", id, owner, at, bson.D{
		{Key: "next_attempt_at", Value: next},
		{Key: "last_error", Value: reason},
	})
}

// Fail gives a leased notification up; see notify.Outbox.
func (o *Outbox) Fail(ctx context.Context, id, owner string, at time.Time, reason string) error {
	return o.settle(ctx, "fail", id, owner, at, bson.D{
		{Key: "status", Value: string(notify.Failed)},
		{Key: "last_error", Value: reason},
	})
}

// settle records an outcome for the owner of a pending row and releases
// its lease, or fails with notify.ErrNotLeased.
func (o *Outbox) settle(ctx context.Context, op, id, owner string, at time.Time, set bson.D) error {
	set = append(set, bson.E{Key: "lease_owner", Value: ""}, bson.E{Key: "lease_until", Value: notLeased()})
	filter := bson.D{{Key: "_id", Value: id}, {Key: "lease_owner", Value: owner}, {Key: "status", Value: string(notify.Pending)}}
	update := bson.D{{Key: "$set", Value: set}, {Key: "$max", Value: bson.D{{Key: "updated_at", Value: at}}}}
	var matched int64
	err := o.s.retry.do(ctx, func(ctx context.Context) error {
		r, err := o.notes.UpdateOne(ctx, filter, update)
		if err != nil {
			return err
		}
		matched = r.MatchedCount
		return nil
	})
	if err == nil && matched == 0 {
		err = notify.ErrNotLeased
	}
	if err != nil {
		return fmt.Errorf("mongo: %s notification: %w", op, err)
	}
	return nil
}

// Cancel withdraws a session's pending notifications; see notify.Outbox.
// A scope is forgotten by opening a window that has already ended.
func (o *Outbox) Cancel(ctx context.Context, sessionID string, events []notify.EventType, scopes []string, at time.Time) (int, error) {
	n, err := o.cancel(ctx, sessionID, events, scopes, at)
	if err != nil {
		return 0, fmt.Errorf("mongo: cancel notifications of session %q: %w", sessionID, err)
	}
	return n, nil
}

func (o *Outbox) cancel(ctx context.Context, sessionID string, events []notify.EventType, scopes []string, at time.Time) (int, error) {
	var canceled int64
	if len(events) > 0 {
		names := make(bson.A, len(events))
		for i, e := range events {
			names[i] = string(e)
		}
		filter := bson.D{
			{Key: "session_id", Value: sessionID},
			{Key: "status", Value: string(notify.Pending)},
			{Key: "event", Value: bson.D{{Key: "$in", Value: names}}},
		}
		update := bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "status", Value: string(notify.Canceled)},
				{Key: "lease_owner", Value: ""},
				{Key: "lease_until", Value: notLeased()},
			}},
			{Key: "$max", Value: bson.D{{Key: "updated_at", Value: at}}},
		}
		err := o.s.retry.do(ctx, func(ctx context.Context) error {
			r, err := o.notes.UpdateMany(ctx, filter, update)
			if err != nil {
				return err
			}
			canceled = r.MatchedCount
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	for _, scope := range scopes {
		if err := o.forget(ctx, scope); err != nil {
			return 0, err
		}
	}
	return int(canceled), nil
}

// forget ends scope's current window, if it has one that has not ended.
func (o *Outbox) forget(ctx context.Context, scope string) error {
	for range maxWindowTries {
		latest, err := o.latestWindow(ctx, scope)
		if err != nil || latest == nil || !latest.Until.After(notLeased()) {
			return err
		}
		inserted, err := o.insertWindow(ctx, windowDoc{
			Key: slotKey(scope, latest.Generation+1), Scope: scope, Generation: latest.Generation + 1, Until: notLeased(),
		})
		if err != nil || inserted {
			return err
		}
	}
	return fmt.Errorf("forget rate limit %q: gave up after %d contended tries", scope, maxWindowTries)
}

// List returns the newest notifications; see notify.Outbox.
func (o *Outbox) List(ctx context.Context, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, ctx.Err()
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit))
	var docs []noteDoc
	if err := o.s.findAll(ctx, o.notes, bson.D{}, &docs, opts); err != nil {
		return nil, fmt.Errorf("mongo: list notifications: %w", err)
	}
	out := make([]notify.Notification, len(docs))
	for i, d := range docs {
		out[i] = d.notification()
	}
	return out, nil
}

// Prune deletes settled notifications last updated before before, and
// leases and rate limit windows that ended before it; see notify.Outbox.
func (o *Outbox) Prune(ctx context.Context, before time.Time) (int, error) {
	var deleted int64
	err := o.s.retry.do(ctx, func(ctx context.Context) error {
		r, err := o.notes.DeleteMany(ctx, bson.D{
			{Key: "status", Value: bson.D{{Key: "$ne", Value: string(notify.Pending)}}},
			{Key: "updated_at", Value: bson.D{{Key: "$lt", Value: before}}},
		})
		if err != nil {
			return err
		}
		deleted = r.DeletedCount
		ended := bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: before}}}}
		if _, err := o.leases.DeleteMany(ctx, ended); err != nil {
			return err
		}
		_, err = o.windows.DeleteMany(ctx, ended)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mongo: prune notifications: %w", err)
	}
	return int(deleted), nil
}

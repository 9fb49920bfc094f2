package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// SeedIndexes returns the session indexes the deployment guide names, in
// the order its start-up log line lists them. Operators grep for that line.
func SeedIndexes() []string {
	return []string{"idx_user_id", "idx_start_time", "idx_admin_assisted", "idx_user_start_time"}
}

// indexSpec is one named index and the query it serves (docs/MONGODB_INDEXES.md
// says the same for operators).
type indexSpec struct {
	collection string
	name       string
	keys       bson.D
	unique     bool
	sparse     bool
	// required: writes are refused until it exists, because correctness,
	// not only speed, rests on it.
	required bool
}

// indexSpecs lists every index the adapter creates. A message's session and
// seq need no index of their own: they make up its _id (see slotKey), whose
// index MongoDB always keeps, and which serves ListMessages.
func indexSpecs() []indexSpec {
	return []indexSpec{
		// The deployment guide's four.
		{collection: sessionsCollection, name: "idx_user_id", keys: bson.D{{Key: "user_id", Value: 1}}},
		{collection: sessionsCollection, name: "idx_start_time", keys: bson.D{{Key: "start_time", Value: -1}}},
		{collection: sessionsCollection, name: "idx_admin_assisted", keys: bson.D{{Key: "admin_assisted", Value: 1}}},
		{collection: sessionsCollection, name: "idx_user_start_time", keys: bson.D{{Key: "user_id", Value: 1}, {Key: "start_time", Value: -1}}},
		// The admin console's lists: by status, and sessions waiting for help.
		{collection: sessionsCollection, name: "idx_status_start_time", keys: bson.D{{Key: "status", Value: 1}, {Key: "start_time", Value: -1}}},
		{collection: sessionsCollection, name: "idx_help_requested_at", keys: bson.D{{Key: "help_requested_at", Value: 1}}, sparse: true},
		// The data lifecycle's sweeps: active sessions by last state change
		// (idle expiry), ended sessions by end time (retention).
		{collection: sessionsCollection, name: "idx_status_updated_at", keys: bson.D{{Key: "status", Value: 1}, {Key: "updated_at", Value: 1}}},
		{collection: sessionsCollection, name: "idx_status_ended_at", keys: bson.D{{Key: "status", Value: 1}, {Key: "ended_at", Value: 1}}},
		// Idempotency and message identity.
		{collection: messagesCollection, name: "idx_idempotency", keys: bson.D{{Key: "idem_key", Value: 1}}, unique: true, required: true},
		{collection: messagesCollection, name: "idx_message_id", keys: bson.D{{Key: "message_id", Value: 1}}, unique: true, required: true},
		// The admin console's token usage since a time.
		{collection: messagesCollection, name: "idx_created_at", keys: bson.D{{Key: "created_at", Value: 1}}},
		// The audit log, newest first.
		{collection: auditCollection, name: "idx_audit_at", keys: bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
		// The notification outbox: one row per dedupe key, the worker's due
		// rows, a session's rows to cancel, the admin view, and the newest
		// window of a rate limit scope.
		{collection: notificationsCollection, name: "idx_notification_key", keys: bson.D{{Key: "key", Value: 1}}, unique: true, required: true},
		{collection: notificationsCollection, name: "idx_notification_due", keys: bson.D{{Key: "status", Value: 1}, {Key: "next_attempt_at", Value: 1}}},
		{collection: notificationsCollection, name: "idx_notification_session", keys: bson.D{{Key: "session_id", Value: 1}, {Key: "status", Value: 1}}},
		{collection: notificationsCollection, name: "idx_notification_created", keys: bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
		// Erasure: the leases of a session's notifications.
		{collection: leasesCollection, name: "idx_lease_note", keys: bson.D{{Key: "note_id", Value: 1}}},
		// File attachments: a user's uploads (erasure), a session's (history, erasure).
		{collection: uploadsCollection, name: "idx_upload_owner", keys: bson.D{{Key: "owner_id", Value: 1}, {Key: "created_at", Value: 1}}},
		{collection: uploadsCollection, name: "idx_upload_session", keys: bson.D{{Key: "session_id", Value: 1}, {Key: "created_at", Value: 1}}},
		// Unsent files past UPLOAD_UNATTACHED_TTL, for the lifecycle sweep.
		{collection: uploadsCollection, name: "idx_upload_unattached", keys: bson.D{{Key: "message_id", Value: 1}, {Key: "created_at", Value: 1}}},
		{collection: windowsCollection, name: "idx_window_scope", keys: bson.D{{Key: "scope", Value: 1}, {Key: "generation", Value: -1}}},
		// Reply leases: recovery's oldest debts, a session's newest lease.
		{collection: owedRepliesCollection, name: "idx_owed_at", keys: bson.D{{Key: "owed_at", Value: 1}}},
		{collection: replyLeasesCollection, name: "idx_lease_session_epoch", keys: bson.D{{Key: "session_id", Value: 1}, {Key: "epoch", Value: -1}}},
		// Token usage sums: a session's replies, a user's replies of one day.
		{collection: usageEventsCollection, name: "idx_usage_session", keys: bson.D{{Key: "session_id", Value: 1}}},
		{collection: usageEventsCollection, name: "idx_usage_user_day", keys: bson.D{{Key: "user_id", Value: 1}, {Key: "day", Value: 1}}},
	}
}

// IndexResult is the outcome of creating one index.
type IndexResult struct {
	Collection string
	Name       string
	Err        error // nil: the index exists now
}

// EnsureIndexes creates every index the adapter uses, one CreateOne call per
// index (FerretDB fails when one call re-creates several existing ones).
// Creating an index that exists with the same definition does nothing, so
// this is safe at every start-up and from many instances at once. A failure
// is reported in its result and does not stop the others.
func (s *Store) EnsureIndexes(ctx context.Context) []IndexResult {
	specs := indexSpecs()
	out := make([]IndexResult, 0, len(specs))
	// One check first, so an unreachable server costs one wait, not one
	// per index.
	reachable := s.client.Ping(ctx, readpref.Primary())
	if reachable != nil {
		reachable = fmt.Errorf("server unreachable: %w", contextFirst(ctx, reachable))
	}
	for _, spec := range specs {
		err := reachable
		if err == nil {
			err = s.createIndex(ctx, spec)
		}
		out = append(out, IndexResult{Collection: spec.collection, Name: spec.name, Err: err})
	}
	return out
}

// ensureWritable makes sure the required indexes exist before the first
// write (creating them if needed); after one success it costs nothing.
func (s *Store) ensureWritable(ctx context.Context) error {
	return s.writable.pass(ctx, func(ctx context.Context) error {
		for _, spec := range indexSpecs() {
			if !spec.required {
				continue
			}
			if err := s.createIndex(ctx, spec); err != nil {
				return fmt.Errorf("index %s, which writes rely on, is missing: %w", spec.name, err)
			}
		}
		return nil
	})
}

func (s *Store) createIndex(ctx context.Context, spec indexSpec) error {
	opts := options.Index().SetName(spec.name)
	if spec.unique {
		opts.SetUnique(true)
	}
	if spec.sparse {
		opts.SetSparse(true)
	}
	model := mongo.IndexModel{Keys: spec.keys, Options: opts}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.db.Collection(spec.collection).Indexes().CreateOne(ctx, model)
		return err
	})
	if err != nil {
		return fmt.Errorf("create index %s on %s: %w", spec.name, spec.collection, err)
	}
	return nil
}

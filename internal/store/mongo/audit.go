package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// auditDoc is a document of the audit collection.
type auditDoc struct {
	ID        string    `bson:"_id"`
	At        time.Time `bson:"at"`
	ActorID   string    `bson:"actor_id"`
	ActorName string    `bson:"actor_name"`
	Action    string    `bson:"action"`
	SessionID string    `bson:"session_id"`
	Detail    string    `bson:"detail"`
}

func (d auditDoc) entry() chat.AuditEntry {
	return chat.AuditEntry{ID: d.ID, At: utc(d.At), ActorID: d.ActorID, ActorName: d.ActorName,
		Action: d.Action, SessionID: d.SessionID, Detail: d.Detail}
}

// AppendAudit stores one audit entry. Storing an entry again (a retry) is
// not an error: entry ids are unique and entries never change.
func (s *Store) AppendAudit(ctx context.Context, e chat.AuditEntry) error {
	if e.ID == "" || e.Action == "" {
		return fmt.Errorf("mongo: append audit: id and action are required: %w", chat.ErrInvalid)
	}
	doc := auditDoc{ID: e.ID, At: e.At, ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, SessionID: e.SessionID, Detail: e.Detail}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.audit.InsertOne(ctx, doc)
		return err
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongo: append audit: %w", err)
	}
	return nil
}

// ListAudit returns a page of audit entries, newest first, ties broken by
// descending id.
func (s *Store) ListAudit(ctx context.Context, q chat.AuditQuery) (chat.AuditPage, error) {
	page, err := s.listAudit(ctx, q)
	if err != nil {
		return chat.AuditPage{}, fmt.Errorf("mongo: list audit: %w", err)
	}
	return page, nil
}

func (s *Store) listAudit(ctx context.Context, q chat.AuditQuery) (chat.AuditPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	f := bson.D{}
	add := func(key string, v any) { f = append(f, bson.E{Key: key, Value: v}) }
	if q.ActorID != "" {
		add("actor_id", q.ActorID)
	}
	if q.SessionID != "" {
		add("session_id", q.SessionID)
	}
	if q.Action != "" {
		add("action", q.Action)
	}
	if !q.Since.IsZero() {
		add("at", bson.D{{Key: "$gte", Value: q.Since}})
	}
	if q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil {
			return chat.AuditPage{}, err
		}
		add("$or", afterCursor("at", c))
	}
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit + 1))
	var docs []auditDoc
	if err := s.findAll(ctx, s.audit, f, &docs, opts); err != nil {
		return chat.AuditPage{}, err
	}
	var page chat.AuditPage
	if len(docs) > limit {
		docs = docs[:limit]
		last := docs[limit-1]
		page.NextCursor = pageCursor{millis: last.At.UnixMilli(), id: last.ID}.String()
	}
	for _, d := range docs {
		page.Entries = append(page.Entries, d.entry())
	}
	return page, nil
}

// afterCursor selects what sorts after c in (field, _id) descending order.
func afterCursor(field string, c pageCursor) bson.A {
	return bson.A{
		bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: c.time()}}}},
		bson.D{{Key: field, Value: c.time()}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: c.id}}}},
	}
}

// CountSessions counts the sessions matching q's filters.
func (s *Store) CountSessions(ctx context.Context, q chat.SessionQuery) (int, error) {
	q.Cursor = ""
	filter, err := sessionFilter(q)
	if err != nil {
		return 0, fmt.Errorf("mongo: count sessions: %w", err)
	}
	var n int64
	err = s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.sessions.CountDocuments(ctx, filter)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mongo: count sessions: %w", err)
	}
	return int(n), nil
}

// UsageSince sums the provider-reported tokens of messages created since.
// Each sum is its own aggregation: FerretDB computes only the first of
// several accumulators in one $group.
func (s *Store) UsageSince(ctx context.Context, since time.Time) (chat.Usage, error) {
	in, err := s.sumSince(ctx, "tokens_in", since)
	if err != nil {
		return chat.Usage{}, fmt.Errorf("mongo: usage: %w", err)
	}
	out, err := s.sumSince(ctx, "tokens_out", since)
	if err != nil {
		return chat.Usage{}, fmt.Errorf("mongo: usage: %w", err)
	}
	return chat.Usage{InputTokens: int(in), OutputTokens: int(out)}, nil
}

func (s *Store) sumSince(ctx context.Context, field string, since time.Time) (int64, error) {
	pipeline := mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "created_at", Value: bson.D{{Key: "$gte", Value: since}}}}}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "total", Value: bson.D{{Key: "$sum", Value: "$" + field}}}}}},
	}
	var rows []struct {
		Total int64 `bson:"total"`
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		cur, err := s.messages.Aggregate(ctx, pipeline)
		if err != nil {
			return err
		}
		return cur.All(ctx, &rows)
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0].Total, nil
}

package mongo

import (
	"context"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// maxPageSize is the largest ListSessions page, per chat.SessionQuery.
const maxPageSize = 100

// pageLookups bounds the concurrent newest-message reads of one page.
const pageLookups = 8

// ListSessions returns a page of the sessions matching q, newest CreatedAt
// first and ties broken by descending ID. That order is total, so a cursor
// (the sort key of the last session served) resumes exactly after it: no
// session is skipped or served twice, even when sessions are created
// between pages. q.Limit above 100 is clamped to 100; 0 or less asks for
// the maximum. A malformed cursor fails with an error wrapping
// chat.ErrInvalid.
func (s *Store) ListSessions(ctx context.Context, q chat.SessionQuery) (chat.SessionPage, error) {
	page, err := s.listSessions(ctx, q)
	if err != nil {
		return chat.SessionPage{}, fmt.Errorf("mongo: list sessions: %w", err)
	}
	return page, nil
}

func (s *Store) listSessions(ctx context.Context, q chat.SessionQuery) (chat.SessionPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	filter, err := sessionFilter(q)
	if err != nil {
		return chat.SessionPage{}, err
	}
	// One extra document tells whether another page exists, so the last
	// page comes back without a cursor instead of leading to an empty page.
	opts := options.Find().
		SetSort(bson.D{{Key: "start_time", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit + 1))
	var docs []sessionDoc
	if err := s.findAll(ctx, s.sessions, filter, &docs, opts); err != nil {
		return chat.SessionPage{}, err
	}
	page := chat.SessionPage{}
	if len(docs) > limit {
		docs = docs[:limit]
		last := docs[limit-1]
		page.NextCursor = pageCursor{millis: last.StartTime.UnixMilli(), id: last.ID}.String()
	}
	page.Sessions, err = s.completeSessions(ctx, docs)
	if err != nil {
		return chat.SessionPage{}, err
	}
	return page, nil
}

// completeSessions adds to each document what its newest message says, a
// few sessions at a time.
func (s *Store) completeSessions(ctx context.Context, docs []sessionDoc) ([]chat.Session, error) {
	out := make([]chat.Session, len(docs))
	errs := make([]error, len(docs))
	sem := make(chan struct{}, pageLookups)
	var wg sync.WaitGroup
	for i, d := range docs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errs[i] = s.withNewestMessage(ctx, d)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sessionFilter turns q's filters and cursor into a query document.
func sessionFilter(q chat.SessionQuery) (bson.D, error) {
	f := bson.D{}
	add := func(key string, v any) { f = append(f, bson.E{Key: key, Value: v}) }
	if q.UserID != "" {
		add("user_id", q.UserID)
	}
	if q.Status != "" {
		add("status", string(q.Status))
	}
	if q.Owner != "" {
		add("owner", string(q.Owner))
	}
	if q.AdminID != "" {
		add("admin_id", q.AdminID)
	}
	if q.HelpRequested != nil {
		if *q.HelpRequested {
			add("help_requested_at", bson.D{{Key: "$ne", Value: nil}})
		} else {
			add("help_requested_at", nil)
		}
	}
	created := bson.D{}
	if !q.CreatedFrom.IsZero() {
		created = append(created, bson.E{Key: "$gte", Value: q.CreatedFrom})
	}
	if !q.CreatedTo.IsZero() {
		created = append(created, bson.E{Key: "$lt", Value: q.CreatedTo})
	}
	if len(created) > 0 {
		add("start_time", created)
	}
	if q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		add("$or", afterCursor("start_time", c))
	}
	return f, nil
}

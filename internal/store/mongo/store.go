// Package mongo is the production chat.Repository: MongoDB through the
// official driver, selected when MONGO_URI is set.
//
// # Layout
//
// Sessions and messages live in separate collections, so a conversation of
// any length never approaches MongoDB's 16 MB document limit:
//
//   - sessions: one document per session, holding what changes rarely
//     (model, status, ownership, help requests). Appending a message never
//     writes it.
//   - messages: one document per message, its _id the slot key
//     "<session id>/<seq, 20 digits>" (see slotKey). Each carries the
//     session's UpdatedAt as of that message, so the newest message alone
//     gives a session's LastSeq and UpdatedAt.
//   - ownership: one document per ownership change, its _id
//     "<session id>/<epoch, 20 digits>".
//   - audit: one document per admin action, never changed.
//
// # Writes without transactions
//
// The adapter uses no multi-document transactions and never relies on a
// conditional update being an atomic compare-and-set where a race matters:
// FerretDB, the wire-compatible server the tests run against, has neither,
// and code that is right without them is right on MongoDB too. What must be
// race-free is an insert of a document whose key only one writer can claim:
//
//   - A message's seq: AppendMessage reads the session's newest message
//     (seq n) and inserts the new one at slot n+1. Of concurrent writers,
//     in any number of processes, exactly one insert claims a slot; the
//     others get a duplicate-key error, read the winner from that slot and
//     try the next one. A slot is only ever claimed after the one before it
//     exists, so seqs are unique and gap-free.
//   - Idempotency: every message has an idem_key under a unique index,
//     (author, client message id) when it has a client id; a duplicate-key
//     error with its slot still free means the message was stored before.
//   - Ownership: a change to epoch e+1 is claimed by inserting its ownership
//     document, so of racing admins exactly one wins (see ChangeOwner).
//
// Rarer state changes (model, end, help request, applying a claimed
// ownership change) are conditional updates of the session document. They
// are atomic on MongoDB; on FerretDB two of them racing on one session may
// lose one, which is why nothing that must be race-free is done that way.
//
// Transient failures (network errors, server selection, a primary stepping
// down) are retried with bounded backoff; every write is safe to repeat
// (see retry.go).
package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Collection names.
const (
	sessionsCollection  = "sessions"
	messagesCollection  = "messages"
	ownershipCollection = "ownership"
	auditCollection     = "audit"
)

// defaultServerSelectionTimeout replaces the driver's 30 seconds, unless the
// URI sets serverSelectionTimeoutMS: a request waiting for an unreachable
// server should fail (and be retried by the client) long before a user
// gives up on it.
const defaultServerSelectionTimeout = 5 * time.Second

// closeTimeout bounds how long Close waits for connections to close.
const closeTimeout = 5 * time.Second

// Store is a chat.Repository (and chat.Maintenance) backed by one MongoDB
// database. It is safe for concurrent use. Create it with Open and release
// it with Close.
type Store struct {
	client    *mongo.Client
	db        *mongo.Database
	sessions  *mongo.Collection
	messages  *mongo.Collection
	ownership *mongo.Collection
	audit     *mongo.Collection
	retry     retryPolicy

	// locks serialises this Store's appends to one session: they would only
	// compete for the same slot. Other Stores and processes still compete,
	// safely, through the slots themselves.
	locks *sessionLocks
	// heads remembers the newest message seen per session, so an append
	// usually finds the next free slot with one read by _id.
	heads *headCache
	// writable gates writes until the indexes they rely on exist.
	writable *indexGate
}

var (
	_ chat.Repository  = (*Store)(nil)
	_ chat.Maintenance = (*Store)(nil)
)

// Open connects to the MongoDB server of uri and uses its database: the
// URI's path, or "chat" when it has none. It does not wait for the server:
// the first operations (and Ping, for readiness) do, so a process can start
// while the database is still coming up.
func Open(ctx context.Context, uri string) (*Store, error) {
	name, err := DatabaseName(uri)
	if err != nil {
		return nil, fmt.Errorf("mongo: open: %w", err)
	}
	// Settings made before ApplyURI are defaults the URI may override.
	opts := options.Client().
		SetServerSelectionTimeout(defaultServerSelectionTimeout).
		SetAppName("chatbox").
		ApplyURI(uri)
	client, err := mongo.Connect(opts)
	if err != nil {
		// The driver's message may quote the URI, credentials included.
		return nil, errors.New("mongo: open: invalid MongoDB URI or client options")
	}
	if err := ctx.Err(); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongo: open: %w", err)
	}
	db := client.Database(name)
	return &Store{
		client:    client,
		db:        db,
		sessions:  db.Collection(sessionsCollection),
		messages:  db.Collection(messagesCollection),
		ownership: db.Collection(ownershipCollection),
		audit:     db.Collection(auditCollection),
		retry:     defaultRetryPolicy(),
		locks:     newSessionLocks(),
		heads:     newHeadCache(maxCachedHeads),
		writable:  newIndexGate(),
	}, nil
}

// Ping reports, for readiness, whether the server answers, the indexes that
// writes rely on exist (creating them if they do not yet) and a write is
// acknowledged (see probeWrite).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("mongo: ping: %w", contextFirst(ctx, err))
	}
	if err := s.ensureWritable(ctx); err != nil {
		return fmt.Errorf("mongo: ping: %w", err)
	}
	if err := s.probeWrite(ctx); err != nil {
		return fmt.Errorf("mongo: ping: %w", err)
	}
	return nil
}

// Close disconnects from the server. Calls in progress may fail.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return fmt.Errorf("mongo: close: %w", err)
	}
	return nil
}

package chat

import (
	"context"
	"time"
)

// Repository is durable storage of sessions and messages. It is the source of
// truth: nothing is acknowledged to a client or published on the Bus before a
// Repository call that stored it has returned without error.
//
// Contract, proven for every adapter by package repotest:
//   - Message content is opaque: adapters store SealedMessage.Sealed as bytes
//     and never see plaintext.
//   - Times round-trip at millisecond precision in UTC (callers pass values
//     already truncated with Millis).
//   - Seq is assigned by the adapter: 1 for a session's first message, then
//     LastSeq+1, gap-free and unique per session even with concurrent writers
//     in several processes sharing one database.
//   - Idempotency: a message whose ClientMsgID is non-empty is identified by
//     (AuthorID, ClientMsgID). Storing it again writes nothing and returns the
//     message stored the first time with Duplicate set, whatever session the
//     repeat names.
//   - Methods are safe for concurrent use and honour ctx cancellation.
//   - Errors: ErrNotFound for an unknown session, ErrSessionEnded for a write
//     to an ended session, wrapped with context; anything else is a storage
//     failure.
type Repository interface {
	LifecycleStore // idle expiry, retention and erasure (lifecycle_store.go)
	UsageStore     // token totals and provider conversation ids (usage_store.go)
	UploadStore    // file attachments (upload.go)
	ReplyLeases    // questions awaiting a reply and who generates it (reply_lease_store.go)

	// StartSession stores s and its first message atomically; first gets seq 1
	// and s.LastSeq becomes 1. If first is a duplicate (see above), nothing is
	// written and the original session and message are returned with
	// Duplicate set.
	StartSession(ctx context.Context, s Session, first SealedMessage) (AppendResult, error)

	// AppendMessage assigns m.Seq, stores m and advances the session's LastSeq
	// and UpdatedAt (to m.CreatedAt) atomically. It fails with ErrNotFound
	// when m.SessionID does not exist and ErrSessionEnded when it has ended;
	// a duplicate returns the original with Duplicate set even if the session
	// has ended since.
	AppendMessage(ctx context.Context, m SealedMessage) (AppendResult, error)

	// GetSession returns the session or ErrNotFound.
	GetSession(ctx context.Context, id string) (Session, error)

	// ListSessions returns sessions matching q, newest CreatedAt first (ties
	// broken by ID descending), at most q.Limit, and a cursor for the next
	// page ("" when there is none). Cursors are opaque to callers.
	ListSessions(ctx context.Context, q SessionQuery) (SessionPage, error)

	// ListMessages returns the messages of a session with seq > afterSeq in
	// ascending seq order, at most limit. An unknown session yields an empty
	// slice, not an error.
	ListMessages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]SealedMessage, error)

	// SetSessionModel changes the model answering an active session.
	// ErrNotFound or ErrSessionEnded as for AppendMessage.
	SetSessionModel(ctx context.Context, id, modelID string, at time.Time) (Session, error)

	// EndSession marks an active session ended with reason at time at and
	// returns it with changed=true. Ending an ended session changes nothing
	// and returns it with changed=false; an unknown one gives ErrNotFound.
	EndSession(ctx context.Context, id, reason string, at time.Time) (s Session, changed bool, err error)

	// ChangeOwner hands an active session to owner (with the admin's id and
	// name for OwnerHuman; cleared for OwnerAI) if its Epoch still equals
	// expectEpoch, increments Epoch, advances UpdatedAt, and returns the
	// session. Handing it to a human also sets AdminAssisted and clears
	// HelpRequestedAt (the request is answered). ErrConflict when the Epoch
	// has moved on, ErrSessionEnded, ErrNotFound.
	ChangeOwner(ctx context.Context, id string, expectEpoch int64, owner Owner, adminID, adminName string, at time.Time) (Session, error)

	// RequestHelp records that the user of an active session asked for a
	// human: HelpRequestedAt becomes at, unless a request is already waiting
	// (changed=false, nothing written). ErrSessionEnded, ErrNotFound.
	RequestHelp(ctx context.Context, id string, at time.Time) (s Session, changed bool, err error)

	// CountSessions counts the sessions matching q's filters (Cursor and
	// Limit are ignored).
	CountSessions(ctx context.Context, q SessionQuery) (int, error)

	// UsageSince sums the tokens of messages created at or after since.
	UsageSince(ctx context.Context, since time.Time) (Usage, error)

	// AppendAudit stores one audit entry; entries are never changed.
	AppendAudit(ctx context.Context, e AuditEntry) error

	// ListAudit returns audit entries matching q, newest first (ties broken
	// by ID descending), at most q.Limit, with a cursor for the next page.
	ListAudit(ctx context.Context, q AuditQuery) (AuditPage, error)

	// Ping reports whether storage is reachable, for readiness.
	Ping(ctx context.Context) error

	// Close releases the adapter's resources.
	Close() error
}

// AppendResult is what StartSession and AppendMessage stored (or found).
type AppendResult struct {
	Session   Session // the session after the write
	Message   SealedMessage
	Duplicate bool // the message existed already; nothing was written
}

// SessionQuery selects sessions for ListSessions. Zero fields do not
// filter. The domain always sets UserID for non-admin callers.
type SessionQuery struct {
	UserID        string        // one user's sessions; "" for every user's
	Status        SessionStatus // active or ended
	Owner         Owner         // ai or human
	AdminID       string        // sessions owned by this admin
	HelpRequested *bool         // true: a help request waits; false: none waits
	CreatedFrom   time.Time     // CreatedAt >= CreatedFrom
	CreatedTo     time.Time     // CreatedAt < CreatedTo
	Cursor        string        // from a previous SessionPage with the same filters; "" for the first page
	Limit         int           // 1..100; adapters clamp larger values to 100
}

// SessionPage is one page of ListSessions.
type SessionPage struct {
	Sessions   []Session
	NextCursor string
}

// AuditEntry records one admin action. It names what was done, never the
// content of a message (that stays encrypted in the message itself).
type AuditEntry struct {
	ID        string
	At        time.Time
	ActorID   string
	ActorName string
	Action    string // one of the Audit* actions
	SessionID string
	Detail    string // e.g. the id of the message an admin sent
}

// Audited admin actions.
const (
	AuditTakeover     = "takeover"
	AuditRelease      = "release"
	AuditAdminMessage = "admin_message"
	AuditEndSession   = "end_session"
	AuditExport       = "export"
)

// AuditQuery selects audit entries. Zero fields do not filter.
type AuditQuery struct {
	ActorID   string
	SessionID string
	Action    string
	Since     time.Time // At >= Since
	Cursor    string
	Limit     int // 1..100; adapters clamp larger values to 100
}

// AuditPage is one page of ListAudit.
type AuditPage struct {
	Entries    []AuditEntry
	NextCursor string
}

package chat

import "context"

// EventType names what an Event carries.
type EventType string

// Event types.
const (
	EventMessage EventType = "message" // a committed message
	EventDelta   EventType = "delta"   // a piece of a reply being streamed
	EventStatus  EventType = "status"  // the session's state changed
	// EventBarrier carries nothing for clients. A subscriber that receives
	// its own barrier knows every event it published earlier on that
	// session has been delivered (per-publisher order); transports use it
	// to flush before closing connections.
	EventBarrier EventType = "barrier"
	// EventTyping is ephemeral: someone is typing in the session.
	EventTyping EventType = "typing"
	// EventFeed is published on the AdminFeed topic, never on a session:
	// a session changed in a way the admin console lists (Feed says how).
	EventFeed EventType = "feed"
)

// AdminFeed is the topic (used in place of a session id) of the admin
// feed: session events every admin console follows live. Session ids are
// UUIDs, so it cannot collide with one.
const AdminFeed = "admin-feed"

// Feed kinds: what happened to the session of an EventFeed.
const (
	FeedSessionCreated = "session_created"
	FeedHelpRequested  = "help_requested"
	FeedOwnerChanged   = "owner_changed"
	FeedSessionEnded   = "session_ended"
)

// Event is what the Bus carries between instances for one session.
type Event struct {
	Type      EventType `json:"type"`
	SessionID string    `json:"session_id"`
	Message   *Message  `json:"message,omitempty"`
	Delta     *Delta    `json:"delta,omitempty"`
	Session   *Session  `json:"session,omitempty"`
	Barrier   string    `json:"barrier,omitempty"` // EventBarrier: the publisher's token
	Feed      string    `json:"feed,omitempty"`    // EventFeed: one of the Feed kinds
	Typing    *Typing   `json:"typing,omitempty"`  // EventTyping
}

// Typing says who is typing.
type Typing struct {
	Sender Sender `json:"sender"`
	Name   string `json:"name"`
	// AuthorID is the typist's user id. Transports relay typing to the
	// other people following the session, never back to the typist's own
	// connections.
	AuthorID string `json:"author_id,omitempty"`
}

// Delta is a piece of an assistant reply while it streams. Index counts the
// deltas of one stream from 0, so a client that resumed from a snapshot can
// skip the deltas the snapshot already contained.
type Delta struct {
	StreamID string `json:"stream_id"`
	ReplyTo  int64  `json:"reply_to"`
	Index    int    `json:"index"`
	Text     string `json:"text"`
	Done     bool   `json:"done"`
	// Error is set on a Done delta when the reply failed; the text streamed
	// so far (if any) is stored as an interrupted message.
	Error string `json:"error,omitempty"`
}

// Bus fans session events out to every instance.
//
// Contract: Publish delivers ev to every current subscriber of ev.SessionID
// on every instance, at most once, and events from one publisher arrive in
// the order they were published. The bus keeps no history: anything a
// subscriber must not miss is in the Repository, and subscribers recover
// from gaps by reading it (messages carry gap-free seqs). Handlers passed to
// Subscribe are called one at a time per subscription and must not block
// for long. Safe for concurrent use.
type Bus interface {
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls fn for every event of sessionID until unsubscribe is
	// called; after unsubscribe returns, fn is not running and is not called
	// again. unsubscribe waits for a running fn, so fn must not call it.
	Subscribe(sessionID string, fn func(Event)) (unsubscribe func(), err error)
	// ServeSnapshot answers RequestSnapshot for sessionID with fn until stop
	// is called. The instance generating a session's reply serves it, so a
	// client resuming on any instance sees the text generated so far.
	ServeSnapshot(sessionID string, fn func() (StreamSnapshot, bool)) (stop func(), err error)
	// RequestSnapshot asks the instance serving sessionID's snapshot for it;
	// ok is false when no instance serves one (no reply is streaming).
	RequestSnapshot(ctx context.Context, sessionID string) (snap StreamSnapshot, ok bool, err error)
	// Ping reports whether the bus is connected, for readiness.
	Ping() error
	Close() error
}

package chat

import "time"

// SessionStatus is the lifecycle state of a session.
type SessionStatus string

// Session states.
const (
	StatusActive SessionStatus = "active"
	StatusEnded  SessionStatus = "ended"
)

// Owner says who answers a session's user: the assistant, or a human admin
// who took the session over.
type Owner string

// Session owners.
const (
	OwnerAI    Owner = "ai"
	OwnerHuman Owner = "human"
)

// Sender says who wrote a message. Clients never choose it: the server sets
// it from the authenticated actor.
type Sender string

// Message senders.
const (
	SenderUser   Sender = "user"
	SenderAI     Sender = "ai"
	SenderAdmin  Sender = "admin"
	SenderSystem Sender = "system"
)

// End reasons recorded with an ended session.
const (
	EndByUser  = "user"
	EndByAdmin = "admin"
	EndByIdle  = "idle"
)

// Session is one conversation between a user and the assistant (and, later,
// human admins). Times are UTC with millisecond precision.
type Session struct {
	ID        string
	UserID    string
	UserName  string
	ModelID   string // public id of the model answering this session
	Status    SessionStatus
	EndReason string // set once Status is StatusEnded
	LastSeq   int64  // seq of the newest message; 0 for none
	CreatedAt time.Time
	UpdatedAt time.Time // time of the last message or state change
	EndedAt   time.Time // zero while active

	// Ownership. Every change bumps Epoch and is stored before it is
	// announced; a change names the Epoch it expects, so of two admins
	// racing for one session exactly one wins.
	Owner     Owner  // OwnerAI unless a human took over
	AdminID   string // the admin owning the session when Owner is OwnerHuman
	AdminName string
	Epoch     int64

	HelpRequestedAt time.Time // when the user asked for a human; zero when no request waits
	AdminAssisted   bool      // a human has owned the session at some point

	// SealedTitle is the session's title, sealed like message content:
	// set at StartSession, stored and returned as is by adapters.
	SealedTitle []byte
	// Title is SealedTitle opened: set by the Service on every session it
	// hands out, never by adapters.
	Title string
}

// MessageMeta is everything about a message except its content.
type MessageMeta struct {
	ID          string
	SessionID   string
	Seq         int64  // 1-based, gap-free within the session
	ClientMsgID string // idempotency key chosen by the author's client; may be empty for ai/system
	AuthorID    string // user or admin id; empty for ai and system messages
	Sender      Sender
	SenderName  string
	ReplyTo     int64  // ai messages: seq of the newest user message the reply answered
	ModelID     string // ai messages: the model that wrote it
	Interrupted bool   // ai messages: generation stopped before the model finished
	TokensIn    int    // ai messages: prompt tokens as reported by the provider
	TokensOut   int    // ai messages: completion tokens as reported by the provider
	CreatedAt   time.Time
	Attachments []Attachment // user messages: files sent with it (upload.go); kept by UploadStore, not with the message
}

// Message is a message with its plaintext content, as the domain and its
// clients see it.
type Message struct {
	MessageMeta
	Content string
}

// SealedMessage is a message as a Repository stores it: content encrypted by
// a Sealer before it reaches any adapter.
type SealedMessage struct {
	MessageMeta
	Sealed []byte
}

// Actor is an authenticated caller.
type Actor struct {
	ID    string
	Name  string
	Admin bool
}

// Millis truncates t to the precision every Repository keeps (milliseconds,
// UTC), so values compare equal after a round trip through storage.
func Millis(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

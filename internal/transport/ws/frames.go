package ws

import (
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// ProtocolVersion is the version of the WebSocket protocol in docs/protocol.md.
const ProtocolVersion = 1

// inbound is every field any client frame may carry; Type selects which
// matter. Unknown fields are ignored so clients can be newer than servers.
type inbound struct {
	Type        string `json:"type"`
	SessionID   string `json:"session_id"`
	ClientMsgID string `json:"client_msg_id"`
	Content     string `json:"content"`
	ModelID     string `json:"model_id"`
	LastSeq     *int64 `json:"last_seq"`
	// Attachments are file ids from POST /chat/uploads (user_message).
	Attachments []string `json:"attachments"`
}

// Client frame types.
const (
	typeUserMessage = "user_message"
	typeResume      = "resume"
	typePing        = "ping"
	typeEndSession  = "end_session"
	typeModelSelect = "model_select"
	typeHelpRequest = "help_request"
	typeTyping      = "typing"

	// Admin frames.
	typeWatch        = "watch"
	typeUnwatch      = "unwatch"
	typeTakeover     = "takeover"
	typeRelease      = "release"
	typeAdminMessage = "admin_message"
)

// Server frame types.
const (
	typeConnectionStatus = "connection_status"
	typeMessage          = "message"
	typeAIResponse       = "ai_response"
	typeSessionStatus    = "session_status"
	typePong             = "pong"
	typeError            = "error"
	typeResumed          = "resumed"
	typeAdminFeed        = "admin_feed"
	// typeTyping is also sent by the server, relaying it.
)

type modelFrame struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Available bool   `json:"available"` // false while its providers' circuit breakers are open
}

type connectionStatusFrame struct {
	Type         string       `json:"type"`
	Protocol     int          `json:"protocol"`
	UserID       string       `json:"user_id"`
	Models       []modelFrame `json:"models"`
	DefaultModel string       `json:"default_model"`
}

// messageFrame is a stored message; the sender's own message comes back as
// its acknowledgement.
type messageFrame struct {
	Type string `json:"type"`
	wire.Message
}

func newMessageFrame(m chat.Message) messageFrame {
	return messageFrame{Type: typeMessage, Message: wire.FromMessage(m)}
}

type aiResponseFrame struct {
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
	ReplyTo   int64  `json:"reply_to"`
	StreamID  string `json:"stream_id"`
	Delta     string `json:"delta"`
	Done      bool   `json:"done"`
}

// sessionStatusFrame announces a change of a session's state.
type sessionStatusFrame struct {
	Type string `json:"type"`
	wire.Session
}

func newSessionStatusFrame(s chat.Session) sessionStatusFrame {
	return sessionStatusFrame{Type: typeSessionStatus, Session: wire.FromSession(s)}
}

// resumedFrame tells a client that replay is complete and live delivery
// follows, so it can show the conversation as up to date.
type resumedFrame struct {
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
	LastSeq   int64  `json:"last_seq"`
	Streaming bool   `json:"streaming"`
}

// typingFrame relays that someone is typing in a session.
type typingFrame struct {
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
	Sender    string `json:"sender"`
	Name      string `json:"name"`
}

// adminFeedFrame is one entry of the live admin feed.
type adminFeedFrame struct {
	Type    string       `json:"type"`
	Event   string       `json:"event"`
	Session wire.Session `json:"session"`
}

type pongFrame struct {
	Type string `json:"type"`
}

type errorFrame struct {
	Type         string `json:"type"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	Recoverable  bool   `json:"recoverable"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	Ref          string `json:"ref,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
}

// Error codes sent in error frames (docs/protocol.md lists them).
const (
	codeInvalidMessage = "invalid_message"
	codeUnknownType    = "unknown_type"
	codeTooLarge       = "too_large"
	codeRateLimited    = "rate_limited"
	codeNotFound       = "not_found"
	codeForbidden      = "forbidden"
	codeSessionEnded   = "session_ended"
	codeConflict       = "conflict"
	codeLLMUnavailable = "llm_unavailable"
	codeQuotaExceeded  = "quota_exceeded"
	codeUnavailable    = "unavailable"
	codeInternal       = "internal"
)

// codeInvalidAttachment: a user_message names a file that is not the
// sender's, unknown, or already sent in another message.
const codeInvalidAttachment = "invalid_attachment"

// Close codes beyond RFC 6455's, in the private range.
const (
	closeTokenExpired = 4001
)

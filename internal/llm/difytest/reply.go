package difytest

import (
	"net/http"
	"strings"
	"time"
)

// Usage is the token accounting reported in message_end.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
}

// Reply decides how the server answers one request. The zero Reply streams
// an empty answer that ends normally.
//
// Order of steps: HoldHeaders, then FailStatus (an HTTP error instead of a
// stream), else a ping, then for each token the Gate (at GateAfter), the
// error event (at ErrorAfter), the TokenDelay and a message event; after
// the tokens Replace, then Hang, Drop or Truncate, or message_end with the
// usage.
type Reply struct {
	Tokens     []string
	TokenDelay time.Duration
	// Agent streams agent_message events instead of message, as agent
	// apps do.
	Agent bool

	// HoldHeaders, when non-nil, delays everything, the status line
	// included, until it is closed (or the client leaves).
	HoldHeaders <-chan struct{}

	// FailStatus answers with that status and Dify's error object (code
	// FailCode, default derived from the status), or FailBody verbatim.
	FailStatus int
	FailCode   string
	FailBody   string
	// Header is added to the response, e.g. Retry-After with a 429.
	Header http.Header

	// An error event is sent after ErrorAfter tokens when ErrorAfter > 0
	// or ErrorCode or ErrorMessage is set; the stream then ends without
	// message_end. ErrorStatus defaults to 400 and ErrorCode to
	// "completion_request_error".
	ErrorAfter   int
	ErrorStatus  int
	ErrorCode    string
	ErrorMessage string

	// Replace, when non-empty, sends a message_replace event with this
	// answer after the tokens (output moderation rewrote the answer).
	Replace string

	// After the tokens: Drop cuts the connection mid-body; Truncate ends
	// the body cleanly without message_end; Hang stalls until the client
	// leaves.
	Drop     bool
	Truncate bool
	Hang     bool

	// Gate holds the stream after GateAfter tokens until it is closed.
	Gate      <-chan struct{}
	GateAfter int

	// ConversationID is the id a new conversation gets; "conv-<n>" if
	// empty. A request naming a known conversation keeps it.
	ConversationID string
	// Usage overrides the reported usage; nil reports the words of the
	// query as prompt tokens and len(Tokens) as completion tokens.
	Usage *Usage
}

// Text is the answer a client should assemble (without Replace).
func (r Reply) Text() string { return strings.Join(r.Tokens, "") }

// EchoReply echoes the query, one token per word.
func EchoReply(req Request) Reply {
	return Reply{Tokens: Tokenize("echo: " + req.Query)}
}

// Tokenize splits s into word tokens, each but the first with its leading
// space.
func Tokenize(s string) []string {
	words := strings.Fields(s)
	for i := 1; i < len(words); i++ {
		words[i] = " " + words[i]
	}
	return words
}

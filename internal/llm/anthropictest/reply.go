package anthropictest

import (
	"net/http"
	"strings"
	"time"
)

// Usage is the token accounting the server reports: input in
// message_start, output (cumulative) in message_delta.
type Usage struct {
	InputTokens              int
	CacheCreationInputTokens int
	CacheReadInputTokens     int
	OutputTokens             int
}

// Reply decides how the server answers one request. The zero Reply streams
// an empty answer that ends normally.
//
// Order of steps: HoldHeaders, then FailStatus (an HTTP error instead of a
// stream), else message_start, content_block_start and a ping, then for
// each token the Gate (at GateAfter), the error event (at ErrorAfter), the
// TokenDelay and the token; after the tokens Hang, Drop or Truncate, or
// the normal end (content_block_stop, message_delta with StopReason and
// usage, message_stop).
type Reply struct {
	Tokens     []string
	TokenDelay time.Duration // waited before each token

	// HoldHeaders, when non-nil, delays everything, the status line
	// included, until it is closed (or the client leaves): a slow first
	// byte.
	HoldHeaders <-chan struct{}

	// FailStatus answers with that HTTP status instead of a stream. The
	// body is FailBody verbatim, or the API's error object with FailType
	// (default: the type the API uses for the status).
	FailStatus int
	FailType   string
	FailBody   string
	// Header is added to the response, a failure or the stream, e.g.
	// Retry-After with a 429.
	Header http.Header

	// An error event (event: error) is sent after ErrorAfter tokens when
	// ErrorAfter > 0 or ErrorType or ErrorMessage is set; the stream then
	// ends without message_stop. ErrorType defaults to "overloaded_error".
	ErrorAfter   int
	ErrorType    string
	ErrorMessage string

	// After the tokens: Drop cuts the connection mid-body; Truncate ends
	// the body cleanly without message_delta and message_stop; Hang stalls
	// until the client leaves.
	Drop     bool
	Truncate bool
	Hang     bool

	// Gate holds the stream after GateAfter tokens until it is closed.
	Gate      <-chan struct{}
	GateAfter int

	StopReason string // of message_delta; "end_turn" if empty
	// Usage overrides the reported usage; nil reports the words of the
	// system prompt and messages as input and len(Tokens) as output.
	Usage *Usage
}

// Text is the answer a client should assemble.
func (r Reply) Text() string { return strings.Join(r.Tokens, "") }

// EchoReply echoes the last user message, one token per word.
func EchoReply(req Request) Reply {
	return Reply{Tokens: Tokenize("echo: " + req.LastUser())}
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

func defaultUsage(req Request, r Reply) Usage {
	in := words(req.System)
	for _, m := range req.Messages {
		in += words(m.Content)
	}
	return Usage{InputTokens: in, OutputTokens: len(r.Tokens)}
}

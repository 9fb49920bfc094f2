package llmtest

import (
	"net/http"
	"strings"
	"time"
)

// Usage is the token accounting the server reports in the final usage chunk.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
}

// Reply decides how the server answers one request. The zero Reply streams
// nothing and finishes normally (an empty answer).
//
// The steps happen in this order: HoldHeaders, FailStatus, the Gate wait
// once GateAfter tokens have been sent, the error event once ErrorAfter
// tokens have been sent, the remaining tokens, then Hang, Drop, Truncate,
// or the normal end (a chunk with FinishReason, the usage chunk when
// requested, and data: [DONE]).
type Reply struct {
	// Tokens are streamed one chunk each, in order, flushed one by one.
	Tokens []string
	// TokenDelay is waited before each token; 0 streams as fast as possible.
	TokenDelay time.Duration

	// HoldHeaders, when non-nil, delays everything, the status line
	// included, until it is closed (or the client leaves, or the server
	// closes): a slow first byte.
	HoldHeaders <-chan struct{}

	// FailStatus, when non-zero, answers with that HTTP status instead of a
	// stream. The body is FailBody, or an OpenAI-style error object if empty.
	FailStatus int
	FailBody   string
	// Header is added to the response, a failure or the stream, e.g.
	// Retry-After with a 429.
	Header http.Header

	// ErrorMessage or ErrorAfter > 0 sends an error event
	// (data: {"error":{...}}) after ErrorAfter tokens, then closes the
	// stream without [DONE]. ErrorAfter beyond len(Tokens) means after the
	// last token; ErrorMessage defaults to "llmtest: injected stream error".
	ErrorAfter   int
	ErrorMessage string

	// Truncate ends the response after the tokens without a finish reason,
	// usage or [DONE], as a dropped upstream connection would look.
	Truncate bool
	// Drop cuts the connection after the tokens without ending the
	// response, as a crashed upstream or a reset proxy does: the client
	// reads an unexpected EOF in the middle of the body.
	Drop bool
	// Hang stalls after the tokens until the client goes away (or the server
	// is closed), for cancellation tests.
	Hang bool

	// Gate, when non-nil, holds the stream after GateAfter tokens until Gate
	// is closed (or receives), the client goes away, or the server closes.
	// It lets a test act at a known point mid-stream without sleeping.
	Gate      <-chan struct{}
	GateAfter int

	// FinishReason of the final chunk; "stop" if empty.
	FinishReason string
	// Usage overrides the reported usage. If nil, the server reports the
	// number of whitespace-separated words in all request messages as
	// prompt tokens and len(Tokens) as completion tokens.
	Usage *Usage
}

// Text is the answer a client should assemble from the reply's tokens.
func (r Reply) Text() string { return strings.Join(r.Tokens, "") }

// EchoReply is the default Reply: it echoes the last user message, one token
// per word, so the text is deterministic and easy to assert on.
func EchoReply(req Request) Reply {
	return Reply{Tokens: Tokenize("echo: " + req.LastUser())}
}

// Tokenize splits s into word tokens, each but the first carrying its
// leading space, so that joining the tokens gives back s with its runs of
// whitespace collapsed to single spaces.
func Tokenize(s string) []string {
	words := strings.Fields(s)
	tokens := make([]string, len(words))
	for i, w := range words {
		if i > 0 {
			w = " " + w
		}
		tokens[i] = w
	}
	return tokens
}

// defaultUsage is the usage reported when Reply.Usage is nil.
func defaultUsage(req Request, r Reply) Usage {
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Content))
	}
	return Usage{PromptTokens: prompt, CompletionTokens: len(r.Tokens)}
}

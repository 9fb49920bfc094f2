package chat

import (
	"context"
	"time"
)

// Role of a turn in a conversation sent to a model.
type Role string

// Conversation roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Turn is one message of the conversation as a model sees it.
type Turn struct {
	Role    Role
	Content string
	// Images are pictures the user attached, for models that accept image
	// input (Model.Vision); Content also names them, so a provider that
	// cannot show them loses nothing else.
	Images []Image
}

// Image is an image input of a turn.
type Image struct {
	ContentType string // image/png, image/jpeg, image/gif or image/webp
	Data        []byte

	fileID string // the upload, between buildTurns and loadImages
}

// CompletionRequest is one request to a model: the system prompt and the
// conversation so far, oldest first, ending with a user turn.
type CompletionRequest struct {
	Model           string // the provider's model name
	System          string
	Turns           []Turn
	MaxOutputTokens int // 0: provider default
	// TokenCap, when positive, bounds the output tokens whatever model
	// ends up answering: a failover chain that applies each member's own
	// MaxOutputTokens keeps under it (CapTokens). It is what is left of
	// the user's daily token budget.
	TokenCap int
	User     string // end user's id, for providers that take one
	// Conversations holds the session's provider-side conversation ids
	// (Dify); nil when the caller keeps none.
	Conversations ConversationIDs
}

// Usage is token accounting as reported by the provider (never estimated).
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// Completion is the outcome of a streamed request.
type Completion struct {
	Text  string // concatenation of every delta emitted
	Usage Usage
}

// Provider streams completions from one model backend (OpenAI-compatible,
// Anthropic, Dify, the demo model).
//
// Contract: Stream calls emit with each non-empty text delta, sequentially
// and in order, from the calling goroutine or one it waits for; it has
// returned before Stream returns. If emit returns an error, Stream stops and
// returns that error. On any error the returned Completion holds the text
// emitted so far. A provider-side error (an error event in the stream, a
// non-2xx status, a truncated stream) is an error, never a silently shortened
// answer. Stream honours ctx cancellation promptly.
type Provider interface {
	// Name identifies the provider in logs and metrics, e.g. "openai".
	Name() string
	Stream(ctx context.Context, req CompletionRequest, emit func(delta string) error) (Completion, error)
}

// Model is a model users can pick, bound to the provider that serves it.
type Model struct {
	ID              string // public id used by clients (model_id)
	Name            string // display name
	Upstream        string // model name sent to the provider
	Provider        Provider
	SystemPrompt    string
	MaxOutputTokens int
	Timeout         time.Duration // whole-reply limit; 0: none beyond the drain
	Vision          bool          // accepts Turn.Images (images.go)
}

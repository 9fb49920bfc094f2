// Package demo is the built-in demo model, used only when no LLM provider is
// configured so that a fresh install answers something. Every reply says
// plainly that it comes from the demo model and how to configure a real one.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Name is the provider id of the demo model.
const Name = "demo"

// DefaultTokenDelay paces New's replies so they stream visibly, like a model.
const DefaultTokenDelay = 20 * time.Millisecond

// maxEchoWords bounds how much of the user's message is quoted back.
const maxEchoWords = 40

// Options configures a Provider.
type Options struct {
	// TokenDelay is waited before each word; 0 streams without pause.
	TokenDelay time.Duration
}

// Provider is the demo model. It is safe for concurrent use.
type Provider struct {
	delay time.Duration
}

// New returns the demo model with DefaultTokenDelay.
func New() *Provider { return NewWithOptions(Options{TokenDelay: DefaultTokenDelay}) }

// NewWithOptions returns the demo model configured by opts.
func NewWithOptions(opts Options) *Provider { return &Provider{delay: max(opts.TokenDelay, 0)} }

// Name returns "demo".
func (p *Provider) Name() string { return Name }

// Stream replies with a labelled echo of the last user turn, one word per
// delta. See chat.Provider for the contract.
//
// Usage counts words: the input words of the system prompt and all turns,
// and the words emitted. Usage must come from the model, never be
// estimated; here the demo is the model, so its own count is the real one.
func (p *Provider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(delta string) error) (chat.Completion, error) {
	out := chat.Completion{Usage: chat.Usage{InputTokens: inputWords(req)}}
	var text strings.Builder
	for i, tok := range tokens(Reply(req)) {
		if err := p.pause(ctx, i); err != nil {
			out.Text = text.String()
			return out, fmt.Errorf("demo: stream: %w", err)
		}
		if err := emit(tok); err != nil {
			out.Text = text.String()
			return out, err
		}
		text.WriteString(tok)
		out.Usage.OutputTokens++
	}
	out.Text = text.String()
	return out, nil
}

// pause waits the token delay before token i (none before the first), and
// reports ctx's error if it is done.
func (p *Provider) pause(ctx context.Context, i int) error {
	if p.delay <= 0 || i == 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(p.delay)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Reply is the full text the demo model answers to req.
func Reply(req chat.CompletionRequest) string {
	const hint = "— configure an LLM provider (see README) for real answers."
	words := strings.Fields(lastUser(req.Turns))
	if len(words) == 0 {
		return "[demo model] Hello! I am the demo model " + hint
	}
	quoted := strings.Join(words[:min(len(words), maxEchoWords)], " ")
	if len(words) > maxEchoWords {
		quoted += " …"
	}
	return "[demo model] You said: “" + quoted + "” " + hint
}

// lastUser returns the content of the last user turn, or "".
func lastUser(turns []chat.Turn) string {
	for i := len(turns) - 1; i >= 0; i-- {
		if turns[i].Role == chat.RoleUser {
			return turns[i].Content
		}
	}
	return ""
}

// tokens splits text into words, each but the first with its leading space,
// so the deltas concatenate back to text.
func tokens(text string) []string {
	words := strings.Fields(text)
	for i := 1; i < len(words); i++ {
		words[i] = " " + words[i]
	}
	return words
}

// inputWords counts the words the model was given.
func inputWords(req chat.CompletionRequest) int {
	n := len(strings.Fields(req.System))
	for _, t := range req.Turns {
		n += len(strings.Fields(t.Content))
	}
	return n
}

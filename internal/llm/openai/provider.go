// Package openai implements chat.Provider for the OpenAI chat completions
// API and every server compatible with it (Ollama, vLLM, llama.cpp,
// Azure-style proxies...), using the official openai-go SDK's streaming.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// DefaultBaseURL is the official API, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1"

// DefaultName is the provider id used when Options.Name is empty.
const DefaultName = "openai"

// Options configures a Provider.
type Options struct {
	// Name identifies the provider in logs and metrics; DefaultName if empty.
	Name string
	// BaseURL of the API including its version prefix, e.g.
	// "http://localhost:11434/v1" for Ollama; DefaultBaseURL if empty.
	BaseURL string
	// APIKey is sent as a Bearer token. It may be empty for servers that
	// need none; it is never written to an error or a log.
	APIKey string
	// HTTPClient carries the requests; nil uses http.DefaultClient. Whole
	// reply limits belong in the ctx given to Stream, not in a client
	// Timeout, which would also cut long healthy streams.
	HTTPClient *http.Client
	// LegacyMaxTokens sends the output limit as max_tokens instead of
	// max_completion_tokens, for servers that predate the newer field: an
	// Ollama without max_completion_tokens support silently ignores it,
	// leaving replies unbounded.
	LegacyMaxTokens bool
}

// Provider streams chat completions from one OpenAI-compatible endpoint. It
// is safe for concurrent use.
type Provider struct {
	name            string
	apiKey          string
	legacyMaxTokens bool
	completions     sdk.ChatCompletionService
}

// New validates opts and returns a Provider.
func New(opts Options) (*Provider, error) {
	p := &Provider{
		name:            opts.Name,
		apiKey:          opts.APIKey,
		legacyMaxTokens: opts.LegacyMaxTokens,
	}
	if p.name == "" {
		p.name = DefaultName
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL itself is not echoed: operators sometimes embed
		// credentials in it.
		return nil, fmt.Errorf("openai: new %s: base URL must be an absolute http(s) URL", p.name)
	}

	reqOpts := []option.RequestOption{
		option.WithBaseURL(base),
		option.WithAPIKey(opts.APIKey),
		// No automatic retries: a streamed request that failed after some
		// deltas were emitted cannot be replayed without duplicating text,
		// and a retried 429/5xx would silently stretch a reply's latency.
		// Failing fast lets the caller decide (failover across providers
		// is a separate concern).
		option.WithMaxRetries(0),
		// Turn non-2xx answers into an APIError carrying the provider's
		// own message, whatever the body's shape; the SDK's error keeps
		// only the status in its text.
		option.WithMiddleware(p.statusMiddleware),
	}
	if opts.HTTPClient != nil {
		reqOpts = append(reqOpts, option.WithHTTPClient(opts.HTTPClient))
	}
	// The service is built directly instead of through sdk.NewClient, which
	// merges OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID and
	// OPENAI_CUSTOM_HEADERS from the environment: with an empty APIKey for a
	// local server, that would send the host's real OpenAI key to it.
	// Configuration comes only from Options.
	p.completions = sdk.NewChatCompletionService(reqOpts...)
	return p, nil
}

// Name returns the provider id given in Options.
func (p *Provider) Name() string { return p.name }

// Stream sends req as a streaming chat completion and calls emit with each
// text delta of the first choice. See chat.Provider for the contract.
//
// Usage comes from the final usage chunk (stream_options.include_usage);
// if the server sends none, Usage stays zero rather than being estimated.
// A stream that ends without a finish reason is an error wrapping
// ErrTruncated, even if the connection closed cleanly.
func (p *Provider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(delta string) error) (chat.Completion, error) {
	params, err := buildParams(req, p.legacyMaxTokens)
	if err != nil {
		return chat.Completion{}, fmt.Errorf("openai: %w", err)
	}
	stream := p.completions.NewStreaming(ctx, params)
	defer stream.Close()

	var (
		out      chat.Completion
		text     strings.Builder
		finished bool
	)
	for stream.Next() {
		chunk := stream.Current()
		if chunk.JSON.Usage.Valid() {
			out.Usage = chat.Usage{
				InputTokens:  int(chunk.Usage.PromptTokens),
				OutputTokens: int(chunk.Usage.CompletionTokens),
			}
		}
		for _, choice := range chunk.Choices {
			// Only one choice is requested; anything else is ignored
			// rather than interleaved into the answer.
			if choice.Index != 0 {
				continue
			}
			if d := choice.Delta.Content; d != "" {
				if err := emit(d); err != nil {
					out.Text = text.String()
					return out, err
				}
				text.WriteString(d)
			}
			if choice.FinishReason != "" {
				finished = true
			}
		}
	}
	out.Text = text.String()

	err = stream.Err()
	if err == nil && !finished {
		err = ErrTruncated
	}
	if err != nil {
		return out, p.streamError(ctx, err)
	}
	return out, nil
}

// streamError gives err the package's context and keeps the API key out of
// its text. Cancellation is reported as ctx's own error, whatever shape the
// transport gave it.
func (p *Provider) streamError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("openai: stream: %w", ctxErr)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return err
	}
	if ev, ok := p.eventError(err); ok {
		return ev
	}
	return p.redact(fmt.Errorf("openai: stream: %w", err))
}

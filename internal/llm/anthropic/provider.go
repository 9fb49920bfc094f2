// Package anthropic implements chat.Provider for Anthropic's Messages API
// with the official anthropic-sdk-go streaming: the system prompt goes in
// the system field, turns alternate user/assistant as the API requires,
// and token usage comes from the message_start and message_delta events.
package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
)

// DefaultBaseURL is the official API, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultName is the provider id used when Options.Name is empty.
const DefaultName = "anthropic"

// DefaultMaxTokens is sent as max_tokens when a request sets no limit: the
// API requires one.
const DefaultMaxTokens = 4096

// ErrTruncated means the stream ended without message_stop: the answer is
// incomplete even if the connection closed cleanly.
var ErrTruncated = errors.New("anthropic: stream ended without message_stop (truncated)")

// Options configures a Provider.
type Options struct {
	// Name identifies the provider in logs, metrics and errors;
	// DefaultName if empty.
	Name string
	// BaseURL is where v1/messages is found, e.g. a gateway in front of
	// the API; DefaultBaseURL if empty. A trailing "/v1" is accepted and
	// dropped, since the SDK adds it.
	BaseURL string
	// APIKey authenticates requests; it is never written to an error.
	APIKey string
	// HTTPClient carries the requests; nil uses http.DefaultClient.
	// Whole-reply limits belong in Stream's ctx, not in a client Timeout.
	HTTPClient *http.Client
	// MaxTokens is sent when a request has no MaxOutputTokens;
	// DefaultMaxTokens if 0.
	MaxTokens int
}

// Provider streams messages from one Anthropic endpoint. It is safe for
// concurrent use.
type Provider struct {
	name      string
	apiKey    string
	maxTokens int
	messages  sdk.MessageService
}

// New validates opts and returns a Provider.
func New(opts Options) (*Provider, error) {
	p := &Provider{name: opts.Name, apiKey: opts.APIKey, maxTokens: opts.MaxTokens}
	if p.name == "" {
		p.name = DefaultName
	}
	if p.maxTokens <= 0 {
		p.maxTokens = DefaultMaxTokens
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not echoed: it may embed credentials.
		return nil, fmt.Errorf("anthropic: new %s: base URL must be an absolute http(s) URL", p.name)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1")

	reqOpts := []option.RequestOption{
		option.WithBaseURL(u.String()),
		// No automatic retries: a retried stream could duplicate text, and
		// a retried 429/5xx silently stretches latency; failover decides.
		option.WithMaxRetries(0),
	}
	if opts.APIKey != "" {
		reqOpts = append(reqOpts, option.WithAPIKey(opts.APIKey))
	}
	if opts.HTTPClient != nil {
		reqOpts = append(reqOpts, option.WithHTTPClient(opts.HTTPClient))
	}
	// The service is built directly, not through sdk.NewClient, whose
	// defaults read ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, profiles and
	// custom headers from the environment: configuration comes only from
	// Options, so no host credential reaches a configured endpoint.
	p.messages = sdk.NewMessageService(reqOpts...)
	return p, nil
}

// Name returns the provider id given in Options.
func (p *Provider) Name() string { return p.name }

// Stream sends req as a streamed message and calls emit with each text
// delta. See chat.Provider for the contract.
//
// Usage is the API's own: input is input_tokens plus the cache creation
// and cache read input tokens of message_start (all are prompt tokens,
// billed at different rates), output the cumulative output_tokens of the
// last message_delta. On failure it holds what was reported so far. A
// stream ending without message_stop is an error wrapping ErrTruncated.
func (p *Provider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(delta string) error) (chat.Completion, error) {
	params, err := buildParams(req, p.maxTokens)
	if err != nil {
		return chat.Completion{}, fmt.Errorf("anthropic: %w", err)
	}
	stream := p.messages.NewStreaming(ctx, params)
	defer stream.Close()

	var (
		out      chat.Completion
		text     strings.Builder
		finished bool
	)
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			u := ev.Message.Usage
			out.Usage.InputTokens = int(u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens)
			out.Usage.OutputTokens = int(u.OutputTokens)
		case "content_block_delta":
			// Only text is part of the answer; thinking and tool input
			// deltas are not.
			if ev.Delta.Type != "text_delta" || ev.Delta.Text == "" {
				continue
			}
			if err := emit(ev.Delta.Text); err != nil {
				out.Text = text.String()
				return out, err
			}
			text.WriteString(ev.Delta.Text)
		case "message_delta":
			u := ev.Usage
			out.Usage.OutputTokens = int(u.OutputTokens)
			// Newer API versions repeat the final input counts here.
			if in := u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens; in > 0 {
				out.Usage.InputTokens = int(in)
			}
		case "message_stop":
			finished = true
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

// streamError gives err the package's context, classifies it for failover
// and keeps the API key out of its text. Cancellation is reported as ctx's
// own error, whatever shape the transport gave it.
func (p *Provider) streamError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("anthropic: stream: %w", ctxErr)
	}
	if errors.Is(err, ErrTruncated) {
		return err
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		return p.apiError(apiErr)
	}
	return llm.Redact(fmt.Errorf("anthropic: stream: %w", err), p.apiKey)
}

// apiError converts the SDK's error, an HTTP failure or an error event in
// the stream, into an *llm.Error without the request (and its key).
func (p *Provider) apiError(e *sdk.Error) *llm.Error {
	out := &llm.Error{
		Backend:  "anthropic",
		Provider: p.name,
		Type:     p.clean(string(e.Type())),
		Message:  p.clean(e.Message),
	}
	if out.Message == "" {
		out.Message = p.clean(e.RawJSON())
	}
	if e.StatusCode >= 200 && e.StatusCode <= 299 {
		// The SDK gives an error event the status of the stream.
		out.InStream = true
		out.Retry = out.Type != "invalid_request_error"
		return out
	}
	out.StatusCode = e.StatusCode
	out.Retry = llm.StatusRetryable(e.StatusCode)
	if e.Response != nil {
		out.RetryAfter = llm.RetryAfter(e.Response.Header, time.Now())
	}
	return out
}

func (p *Provider) clean(s string) string { return llm.CleanMessage(s, p.apiKey) }

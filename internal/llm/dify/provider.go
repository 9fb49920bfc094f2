// Package dify implements chat.Provider for a Dify app's chat-messages API
// (chat, agent and chatflow apps) in streaming response mode, with a small
// server-sent events client of its own: Dify has no official Go SDK.
//
// Dify keeps each conversation's memory itself. The provider sends the
// session's conversation_id and reports the one Dify assigns through the
// request's chat.ConversationIDs, so the chat domain can store it with the
// session.
package dify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
)

// DefaultName is the provider id used when Options.Name is empty.
const DefaultName = "dify"

// anonymousUser is sent when a request names no user: Dify requires one.
const anonymousUser = "chatbox"

// stopTimeout bounds the request that tells Dify to stop generating after
// the caller abandoned a reply.
const stopTimeout = 2 * time.Second

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Errors a stream can end with besides *llm.Error.
var (
	// ErrTruncated: the stream ended without message_end; the answer is
	// incomplete even if the connection closed cleanly.
	ErrTruncated = errors.New("dify: stream ended without message_end (truncated)")
	// ErrReplaced: Dify's output moderation replaced an answer that had
	// already been partly streamed; the streamed text must not be shown
	// as the answer.
	ErrReplaced = errors.New("dify: answer replaced by moderation after it had started streaming")
)

// Options configures a Provider.
type Options struct {
	// Name identifies the provider in logs, metrics, errors and
	// chat.ConversationIDs; DefaultName if empty.
	Name string
	// BaseURL is the app's API base, e.g. "https://dify.example.com/v1",
	// required: Dify is mostly self-hosted.
	BaseURL string
	// APIKey is the app's API key ("app-..."), sent as a Bearer token and
	// never written to an error.
	APIKey string
	// HTTPClient carries the requests; nil uses http.DefaultClient.
	HTTPClient *http.Client
}

// Provider streams answers from one Dify app. It is safe for concurrent
// use.
type Provider struct {
	name   string
	apiKey string
	base   *url.URL // the app's API base, e.g. https://dify.example.com/v1
	client *http.Client
}

// New validates opts and returns a Provider.
func New(opts Options) (*Provider, error) {
	p := &Provider{name: opts.Name, apiKey: opts.APIKey, client: opts.HTTPClient}
	if p.name == "" {
		p.name = DefaultName
	}
	if p.client == nil {
		p.client = http.DefaultClient
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not echoed: it may embed credentials.
		return nil, fmt.Errorf("dify: new %s: base URL must be an absolute http(s) URL such as https://dify.example.com/v1", p.name)
	}
	p.base = u
	return p, nil
}

// Name returns the provider id given in Options.
func (p *Provider) Name() string { return p.name }

// Stream sends the newest user turn to the app and calls emit with each
// piece of the answer. See chat.Provider for the contract, and buildQuery
// for what is sent when Dify has no conversation for the session yet.
//
// The session's conversation id comes from req.Conversations; a
// new one is reported there as soon as Dify names it. An id Dify no longer
// knows (404) is dropped and the question asked again in a new
// conversation, before anything was emitted. Usage is message_end's. An
// error event, a stream without message_end, or a moderation replacement
// of an answer already streamed are errors, never a shortened answer.
func (p *Provider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(delta string) error) (chat.Completion, error) {
	convs := req.Conversations
	convID := ""
	if convs != nil {
		convID = convs.ConversationID(p.name)
	}
	user := req.User
	if user == "" {
		user = anonymousUser
	}
	res, err := p.open(ctx, req.Turns, user, convID)
	var apiErr *llm.Error
	if convID != "" && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		// Dify forgot the conversation (deleted, or another app behind
		// this id): start a new one carrying the history in the query.
		convID = ""
		res, err = p.open(ctx, req.Turns, user, "")
	}
	if err != nil {
		return chat.Completion{}, err
	}
	defer res.Body.Close()
	r := reader{p: p, ctx: ctx, convs: convs, sentConv: convID, user: user, emit: emit}
	return r.read(res.Body)
}

// open sends the request and returns the streaming response, or the
// failure as an *llm.Error (non-2xx) or a transport error.
func (p *Provider) open(ctx context.Context, turns []chat.Turn, user, convID string) (*http.Response, error) {
	query, err := buildQuery(turns, convID != "")
	if err != nil {
		return nil, fmt.Errorf("dify: %w", err)
	}
	body, err := json.Marshal(map[string]any{
		"inputs":          map[string]any{},
		"query":           query,
		"response_mode":   "streaming",
		"conversation_id": convID,
		"user":            user,
		// Naming a conversation costs an extra model call per session,
		// and nobody reads the names through this API.
		"auto_generate_name": false,
	})
	if err != nil {
		return nil, fmt.Errorf("dify: encode request: %w", err)
	}
	res, err := p.post(ctx, p.base.JoinPath("chat-messages").String(), body)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("dify: stream: %w", ctxErr)
		}
		return nil, llm.Redact(fmt.Errorf("dify: stream: %w", err), p.apiKey)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		defer res.Body.Close()
		return nil, p.statusError(res)
	}
	return res, nil
}

func (p *Provider) post(ctx context.Context, url string, body []byte) (*http.Response, error) {
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("Accept", "text/event-stream")
	if p.apiKey != "" {
		httpReq.Header.Set("Authorization", "Bearer "+p.apiKey)
	}
	return p.client.Do(httpReq)
}

// statusError builds the error of a non-2xx answer from Dify's error
// object ({"code","message","status"}) or, failing that, the raw body.
func (p *Provider) statusError(res *http.Response) *llm.Error {
	// A failed read still leaves the status, which matters most.
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	var body struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	msg := string(raw)
	if json.Unmarshal(raw, &body) == nil && body.Message != "" {
		msg = body.Message
	}
	c := code(body.Code)
	return &llm.Error{
		Backend:    "dify",
		Provider:   p.name,
		StatusCode: res.StatusCode,
		Type:       p.clean(c),
		Message:    p.clean(msg),
		Retry:      retryableCode(c, res.StatusCode),
		RetryAfter: llm.RetryAfter(res.Header, time.Now()),
	}
}

func (p *Provider) clean(s string) string { return llm.CleanMessage(s, p.apiKey) }

// stop asks Dify to stop generating taskID, whose reply the caller
// abandoned; closing the connection alone leaves the task running on the
// server, spending tokens. Best effort, bounded by stopTimeout, and run
// even though ctx is cancelled.
func (p *Provider) stop(ctx context.Context, taskID, user string) {
	if !safeID(taskID) {
		// The id comes from the stream; it must not steer the request,
		// which carries the key, to another path.
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"user": user})
	res, err := p.post(ctx, p.base.JoinPath("chat-messages", taskID, "stop").String(), body)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
		res.Body.Close()
	}
}

// safeID reports whether id is a plain token (Dify's task ids are UUIDs)
// that can be put in a URL path as it is.
func safeID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

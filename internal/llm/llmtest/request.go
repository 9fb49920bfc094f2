package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Message is one chat message as the server received it.
type Message struct {
	Role    string
	Content string // text parts joined when the client sent an array of parts
}

// Request is one chat completion request as the server received it, decoded
// from the wire so tests can assert on what a client really sent.
type Request struct {
	Model               string
	Messages            []Message
	MaxTokens           int // max_tokens; 0 when absent
	MaxCompletionTokens int // max_completion_tokens; 0 when absent
	User                string
	Stream              bool
	IncludeUsage        bool        // stream_options.include_usage
	Authorization       string      // the Authorization header, verbatim
	Header              http.Header // every request header
	Body                []byte      // the raw JSON body, for anything not decoded above
}

// LastUser returns the content of the last user message, or "" if none.
func (r Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// wireRequest mirrors the fields of a chat completion request body that the
// server decodes; everything else stays available in Request.Body.
type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	MaxTokens           *int   `json:"max_tokens"`
	MaxCompletionTokens *int   `json:"max_completion_tokens"`
	User                string `json:"user"`
	Stream              bool   `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// decodeRequest parses a request body; header is recorded alongside.
func decodeRequest(body []byte, header http.Header) (Request, error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return Request{}, fmt.Errorf("decode body: %w", err)
	}
	req := Request{
		Model:         w.Model,
		User:          w.User,
		Stream:        w.Stream,
		Authorization: header.Get("Authorization"),
		Header:        header,
		Body:          body,
	}
	if w.MaxTokens != nil {
		req.MaxTokens = *w.MaxTokens
	}
	if w.MaxCompletionTokens != nil {
		req.MaxCompletionTokens = *w.MaxCompletionTokens
	}
	if w.StreamOptions != nil {
		req.IncludeUsage = w.StreamOptions.IncludeUsage
	}
	for i, m := range w.Messages {
		content, err := decodeContent(m.Content)
		if err != nil {
			return Request{}, fmt.Errorf("decode messages[%d]: %w", i, err)
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Content: content})
	}
	return req, nil
}

// decodeContent accepts both shapes the API allows for message content: a
// plain string, or an array of parts of which the text parts are kept.
func decodeContent(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("content is neither a string nor an array of parts: %w", err)
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

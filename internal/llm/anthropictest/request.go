package anthropictest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Message is one message of a request.
type Message struct {
	Role    string
	Content string // text blocks joined when sent as an array of blocks
}

// Request is one Messages API request as the server decoded it.
type Request struct {
	Model     string
	MaxTokens int
	System    string // text blocks joined when sent as an array
	Messages  []Message
	Stream    bool
	UserID    string      // metadata.user_id
	APIKey    string      // from x-api-key, or a Bearer Authorization
	Version   string      // the anthropic-version header
	Header    http.Header // every request header
	Body      []byte      // the raw JSON body
}

// LastUser returns the content of the last user message, or "".
func (r Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

type wireRequest struct {
	Model     string          `json:"model"`
	MaxTokens int             `json:"max_tokens"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Stream   bool `json:"stream"`
	Metadata struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
}

func decodeRequest(body []byte, h http.Header) (Request, error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return Request{}, fmt.Errorf("decode body: %w", err)
	}
	system, err := text(w.System)
	if err != nil {
		return Request{}, fmt.Errorf("decode system: %w", err)
	}
	key := h.Get("X-Api-Key")
	if key == "" {
		key = strings.TrimPrefix(h.Get("Authorization"), "Bearer ")
	}
	req := Request{
		Model: w.Model, MaxTokens: w.MaxTokens, System: system, Stream: w.Stream,
		UserID: w.Metadata.UserID, APIKey: key, Version: h.Get("Anthropic-Version"), Header: h, Body: body,
	}
	for i, m := range w.Messages {
		content, err := text(m.Content)
		if err != nil {
			return Request{}, fmt.Errorf("decode messages[%d]: %w", i, err)
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Content: content})
	}
	return req, nil
}

// text accepts a string or an array of content blocks, keeping the text.
func text(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", fmt.Errorf("neither a string nor an array of blocks: %w", err)
	}
	var b strings.Builder
	for _, bl := range blocks {
		if bl.Type == "text" {
			b.WriteString(bl.Text)
		}
	}
	return b.String(), nil
}

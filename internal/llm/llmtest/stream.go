package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// created is the fixed timestamp of every chunk, so output is deterministic.
const created = 1700000000

// Wire shapes of a chat.completion.chunk.
type (
	wireChunk struct {
		ID      string       `json:"id"`
		Object  string       `json:"object"`
		Created int64        `json:"created"`
		Model   string       `json:"model"`
		Choices []wireChoice `json:"choices"`
		// Usage is omitted unless the client asked for it; then it is null
		// on every chunk but the last, as the API does.
		Usage any `json:"usage,omitempty"`
	}
	wireChoice struct {
		Index        int       `json:"index"`
		Delta        wireDelta `json:"delta"`
		FinishReason *string   `json:"finish_reason"`
	}
	wireDelta struct {
		Role    string  `json:"role,omitempty"`
		Content *string `json:"content,omitempty"`
	}
	wireUsage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	}
)

// sse writes one streamed reply and reports whether the client went away.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	r       *http.Request
	closing <-chan struct{}
	req     Request
	id      string
}

// stream writes reply as server-sent events. It returns true if the reply
// was cut short because the client disconnected or cancelled.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req Request, reply Reply, id string) (aborted bool) {
	e := &sse{
		w:       w,
		rc:      http.NewResponseController(w),
		r:       r,
		closing: s.closing,
		req:     req,
		id:      id,
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	// The role chunk goes out at once, as the API's does, so the client has
	// its headers and a first event before any token delay or gate.
	if err := e.send(e.chunk(wireDelta{Role: "assistant", Content: ptr("")}, nil)); err != nil {
		return true
	}

	errorAt := -1
	if reply.ErrorAfter > 0 || reply.ErrorMessage != "" {
		errorAt = min(reply.ErrorAfter, len(reply.Tokens))
	}
	for i := 0; i <= len(reply.Tokens); i++ {
		if reply.Gate != nil && i == reply.GateAfter {
			if gone, closed := e.wait(reply.Gate, 0); gone || closed {
				return gone
			}
		}
		if i == errorAt {
			msg := reply.ErrorMessage
			if msg == "" {
				msg = "llmtest: injected stream error"
			}
			return e.send(errorBody("server_error", msg)) != nil
		}
		if i == len(reply.Tokens) {
			break
		}
		if reply.TokenDelay > 0 {
			if gone, closed := e.wait(nil, reply.TokenDelay); gone || closed {
				return gone
			}
		}
		if err := e.send(e.chunk(wireDelta{Content: ptr(reply.Tokens[i])}, nil)); err != nil {
			return true
		}
	}

	switch {
	case reply.Hang:
		gone, _ := e.wait(nil, 0)
		return gone
	case reply.Drop:
		if conn, _, err := e.rc.Hijack(); err == nil {
			_ = conn.Close()
		}
		return false
	case reply.Truncate:
		return false
	}
	return e.finish(reply) != nil
}

// finish sends the finish chunk, the usage chunk when requested, and [DONE].
func (e *sse) finish(reply Reply) error {
	reason := reply.FinishReason
	if reason == "" {
		reason = "stop"
	}
	if err := e.send(e.chunk(wireDelta{}, &reason)); err != nil {
		return err
	}
	if e.req.IncludeUsage {
		u := defaultUsage(e.req, reply)
		if reply.Usage != nil {
			u = *reply.Usage
		}
		last := e.chunk(wireDelta{}, nil)
		last.Choices = []wireChoice{}
		last.Usage = wireUsage{
			PromptTokens:     u.PromptTokens,
			CompletionTokens: u.CompletionTokens,
			TotalTokens:      u.PromptTokens + u.CompletionTokens,
		}
		if err := e.send(last); err != nil {
			return err
		}
	}
	return e.line("[DONE]")
}

// chunk builds a chunk with one choice.
func (e *sse) chunk(d wireDelta, finish *string) wireChunk {
	c := wireChunk{
		ID:      e.id,
		Object:  "chat.completion.chunk",
		Created: created,
		Model:   e.req.Model,
		Choices: []wireChoice{{Index: 0, Delta: d, FinishReason: finish}},
	}
	if e.req.IncludeUsage {
		// A non-nil RawMessage defeats omitempty and marshals as null.
		c.Usage = json.RawMessage("null")
	}
	return c
}

// send writes v as one data event and flushes it.
func (e *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("llmtest: encode event: %w", err)
	}
	return e.line(string(b))
}

// line writes one data event and flushes it. An error means the client is
// gone.
func (e *sse) line(data string) error {
	if _, err := fmt.Fprintf(e.w, "data: %s\n\n", data); err != nil {
		return err
	}
	return e.rc.Flush()
}

// wait blocks until gate fires (if non-nil), d passes (if positive), the
// client goes away (gone) or the server closes (closed). With neither gate
// nor d it waits only for the last two.
func (e *sse) wait(gate <-chan struct{}, d time.Duration) (gone, closed bool) {
	var timeout <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-gate:
		return false, false
	case <-timeout:
		return false, false
	case <-e.r.Context().Done():
		return true, false
	case <-e.closing:
		return false, true
	}
}

func ptr[T any](v T) *T { return &v }

package anthropictest

import (
	"github.com/chatboxhq/chatbox/internal/llm/internal/fake"
)

// Wire shapes of the streamed events.
type (
	wireUsage struct {
		InputTokens              int `json:"input_tokens"`
		CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int `json:"cache_read_input_tokens"`
		OutputTokens             int `json:"output_tokens"`
	}
	wireMessage struct {
		ID           string    `json:"id"`
		Type         string    `json:"type"`
		Role         string    `json:"role"`
		Content      []any     `json:"content"`
		Model        string    `json:"model"`
		StopReason   *string   `json:"stop_reason"`
		StopSequence *string   `json:"stop_sequence"`
		Usage        wireUsage `json:"usage"`
	}
	messageStart struct {
		Type    string      `json:"type"`
		Message wireMessage `json:"message"`
	}
	textBlock struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	blockStart struct {
		Type         string    `json:"type"`
		Index        int       `json:"index"`
		ContentBlock textBlock `json:"content_block"`
	}
	blockDelta struct {
		Type  string    `json:"type"`
		Index int       `json:"index"`
		Delta textDelta `json:"delta"`
	}
	textDelta struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	blockStop struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	messageDelta struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   string  `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage struct {
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	typeOnly struct {
		Type string `json:"type"`
	}
)

// stream writes reply as the API's event sequence and reports whether the
// client left before it was complete.
func stream(e *fake.Stream, req Request, reply Reply, id string) (aborted bool) {
	usage := defaultUsage(req, reply)
	if reply.Usage != nil {
		usage = *reply.Usage
	}
	start := messageStart{Type: "message_start", Message: wireMessage{
		ID: id, Type: "message", Role: "assistant", Content: []any{}, Model: req.Model,
		Usage: wireUsage{
			InputTokens:              usage.InputTokens,
			CacheCreationInputTokens: usage.CacheCreationInputTokens,
			CacheReadInputTokens:     usage.CacheReadInputTokens,
			OutputTokens:             1, // the API reports a provisional count here
		},
	}}
	if e.Event("message_start", start) != nil ||
		e.Event("content_block_start", blockStart{Type: "content_block_start", ContentBlock: textBlock{Type: "text"}}) != nil ||
		e.Event("ping", typeOnly{Type: "ping"}) != nil {
		return true
	}

	errorAt := -1
	if reply.ErrorAfter > 0 || reply.ErrorType != "" || reply.ErrorMessage != "" {
		errorAt = min(reply.ErrorAfter, len(reply.Tokens))
	}
	for i := 0; i <= len(reply.Tokens); i++ {
		if reply.Gate != nil && i == reply.GateAfter {
			if gone, closed := e.Wait(reply.Gate, 0); gone || closed {
				return gone
			}
		}
		if i == errorAt {
			typ, msg := reply.ErrorType, reply.ErrorMessage
			if typ == "" {
				typ = "overloaded_error"
			}
			if msg == "" {
				msg = "anthropictest: injected stream error"
			}
			return e.Event("error", errorBody(typ, msg)) != nil
		}
		if i == len(reply.Tokens) {
			break
		}
		if reply.TokenDelay > 0 {
			if gone, closed := e.Wait(nil, reply.TokenDelay); gone || closed {
				return gone
			}
		}
		d := blockDelta{Type: "content_block_delta", Delta: textDelta{Type: "text_delta", Text: reply.Tokens[i]}}
		if e.Event("content_block_delta", d) != nil {
			return true
		}
	}

	switch {
	case reply.Hang:
		gone, _ := e.Wait(nil, 0)
		return gone
	case reply.Drop:
		_ = e.Drop()
		return false
	case reply.Truncate:
		return false
	}
	stop := reply.StopReason
	if stop == "" {
		stop = "end_turn"
	}
	md := messageDelta{Type: "message_delta"}
	md.Delta.StopReason = stop
	md.Usage.OutputTokens = usage.OutputTokens
	return e.Event("content_block_stop", blockStop{Type: "content_block_stop"}) != nil ||
		e.Event("message_delta", md) != nil ||
		e.Event("message_stop", typeOnly{Type: "message_stop"}) != nil
}

package difytest

import (
	"strings"

	"github.com/chatboxhq/chatbox/internal/llm/internal/fake"
)

// created is the fixed timestamp of every event, for deterministic output.
const created = 1700000000

type ids struct{ task, message, conversation string }

// stream writes reply as Dify's event sequence and reports whether the
// client left before it was complete. Dify names the event inside the JSON
// data, not in an SSE event field; only ping uses the event field.
func stream(e *fake.Stream, req Request, reply Reply, id ids) (aborted bool) {
	base := func(event string) map[string]any {
		return map[string]any{
			"event": event, "task_id": id.task, "id": id.message, "message_id": id.message,
			"conversation_id": id.conversation, "created_at": created,
		}
	}
	if e.Start() != nil || e.Raw("ping", "") != nil {
		return true
	}
	errorAt := -1
	if reply.ErrorAfter > 0 || reply.ErrorCode != "" || reply.ErrorMessage != "" {
		errorAt = min(reply.ErrorAfter, len(reply.Tokens))
	}
	kind := "message"
	if reply.Agent {
		kind = "agent_message"
	}
	for i := 0; i <= len(reply.Tokens); i++ {
		if reply.Gate != nil && i == reply.GateAfter {
			if gone, closed := e.Wait(reply.Gate, 0); gone || closed {
				return gone
			}
		}
		if i == errorAt {
			ev := base("error")
			status, code, msg := reply.ErrorStatus, reply.ErrorCode, reply.ErrorMessage
			if status == 0 {
				status = 400
			}
			if code == "" {
				code = "completion_request_error"
			}
			if msg == "" {
				msg = "difytest: injected stream error"
			}
			for k, v := range errorBody(status, code, msg) {
				ev[k] = v
			}
			return e.Event("", ev) != nil
		}
		if i == len(reply.Tokens) {
			break
		}
		if reply.TokenDelay > 0 {
			if gone, closed := e.Wait(nil, reply.TokenDelay); gone || closed {
				return gone
			}
		}
		ev := base(kind)
		ev["answer"] = reply.Tokens[i]
		if e.Event("", ev) != nil {
			return true
		}
	}
	if reply.Replace != "" {
		ev := base("message_replace")
		ev["answer"] = reply.Replace
		if e.Event("", ev) != nil {
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
	usage := Usage{PromptTokens: len(strings.Fields(req.Query)), CompletionTokens: len(reply.Tokens)}
	if reply.Usage != nil {
		usage = *reply.Usage
	}
	end := base("message_end")
	end["metadata"] = map[string]any{
		"usage": map[string]any{
			"prompt_tokens": usage.PromptTokens, "prompt_unit_price": "0.001", "prompt_price_unit": "0.001",
			"prompt_price": "0.0000000", "completion_tokens": usage.CompletionTokens,
			"completion_unit_price": "0.002", "completion_price_unit": "0.001", "completion_price": "0.0000000",
			"total_tokens": usage.PromptTokens + usage.CompletionTokens, "total_price": "0.0000000",
			"currency": "USD", "latency": 0.5,
		},
		"retriever_resources": []any{},
	}
	return e.Event("", end) != nil
}

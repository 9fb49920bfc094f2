package dify

import (
	"encoding/json"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/llm"
)

// event is the JSON payload of one streamed event. Dify names the kind in
// the "event" field of the data; the fields present depend on the kind.
type event struct {
	Event          string `json:"event"`
	TaskID         string `json:"task_id"`
	ConversationID string `json:"conversation_id"`
	Answer         string `json:"answer"` // message, agent_message, message_replace

	// error events
	Status  int             `json:"status"`
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`

	// message_end
	Metadata struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	} `json:"metadata"`

	// workflow_finished (chatflow apps)
	Data struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"data"`
}

// Event kinds the provider acts on; every other kind (agent_thought,
// message_file, tts_message, workflow and node progress...) is skipped.
const (
	eventMessage          = "message"
	eventAgentMessage     = "agent_message"
	eventMessageReplace   = "message_replace"
	eventMessageEnd       = "message_end"
	eventError            = "error"
	eventWorkflowFinished = "workflow_finished"
)

// parseEvent decodes one event's data.
func parseEvent(data []byte) (event, error) {
	var ev event
	if err := json.Unmarshal(data, &ev); err != nil {
		return event{}, fmt.Errorf("dify: undecodable event: %w", err)
	}
	return ev, nil
}

// code renders Dify's error code, a string in current versions; anything
// else is kept as compact JSON rather than lost.
func code(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// retryableCode reports whether a Dify error code may succeed at another
// provider. Dify sends several failures of the app or its model with a 400
// status (unconfigured, out of quota, failing upstream); only the codes
// blaming the request itself are final.
func retryableCode(code string, status int) bool {
	switch code {
	case "invalid_param", "bad_request", "file_too_large", "unsupported_file_type":
		return false
	case "app_unavailable", "provider_not_initialize", "provider_quota_exceeded",
		"model_currently_not_support", "completion_request_error", "internal_server_error":
		return true
	}
	return status == 0 || llm.StatusRetryable(status)
}

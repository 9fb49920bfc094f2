package openai

import (
	"fmt"

	sdk "github.com/openai/openai-go/v3"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// buildParams maps a chat request onto the chat completions request body.
func buildParams(req chat.CompletionRequest, legacyMaxTokens bool) (sdk.ChatCompletionNewParams, error) {
	if req.Model == "" {
		return sdk.ChatCompletionNewParams{}, fmt.Errorf("model is required: %w", chat.ErrInvalid)
	}
	msgs := make([]sdk.ChatCompletionMessageParamUnion, 0, len(req.Turns)+1)
	if req.System != "" {
		msgs = append(msgs, sdk.SystemMessage(req.System))
	}
	for i, t := range req.Turns {
		switch t.Role {
		case chat.RoleUser:
			msgs = append(msgs, sdk.UserMessage(t.Content))
		case chat.RoleAssistant:
			msgs = append(msgs, sdk.AssistantMessage(t.Content))
		default:
			return sdk.ChatCompletionNewParams{}, fmt.Errorf("turn %d: unknown role %q: %w", i, t.Role, chat.ErrInvalid)
		}
	}

	params := sdk.ChatCompletionNewParams{
		Model:    req.Model,
		Messages: msgs,
		// Without this the API sends no usage at all when streaming.
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
	}
	if req.MaxOutputTokens > 0 {
		// max_completion_tokens is the current field and the only one
		// OpenAI's reasoning models accept; OpenAI, Azure OpenAI and vLLM
		// take it. LegacyMaxTokens covers servers that only know the
		// deprecated max_tokens. Only one is ever sent, since reasoning
		// models reject a request that carries max_tokens at all.
		if legacyMaxTokens {
			params.MaxTokens = sdk.Int(int64(req.MaxOutputTokens))
		} else {
			params.MaxCompletionTokens = sdk.Int(int64(req.MaxOutputTokens))
		}
	}
	if req.User != "" {
		params.User = sdk.String(req.User)
	}
	return params, nil
}

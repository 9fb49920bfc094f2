package openai

import (
	"encoding/base64"
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
			msgs = append(msgs, userMessage(t))
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

// userMessage is a user turn: plain text, or text followed by its images
// as base64 data URLs (the API's image input for vision models).
func userMessage(t chat.Turn) sdk.ChatCompletionMessageParamUnion {
	if len(t.Images) == 0 {
		return sdk.UserMessage(t.Content)
	}
	parts := []sdk.ChatCompletionContentPartUnionParam{sdk.TextContentPart(t.Content)}
	for _, img := range t.Images {
		parts = append(parts, sdk.ImageContentPart(sdk.ChatCompletionContentPartImageImageURLParam{
			URL: "data:" + img.ContentType + ";base64," + base64.StdEncoding.EncodeToString(img.Data),
		}))
	}
	return sdk.UserMessage(parts)
}

package anthropic

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// buildParams maps a chat request onto a Messages API request.
func buildParams(req chat.CompletionRequest, defaultMaxTokens int) (sdk.MessageNewParams, error) {
	if req.Model == "" {
		return sdk.MessageNewParams{}, fmt.Errorf("model is required: %w", chat.ErrInvalid)
	}
	msgs, err := alternate(req.Turns)
	if err != nil {
		return sdk.MessageNewParams{}, err
	}
	maxTokens := req.MaxOutputTokens
	if maxTokens <= 0 {
		maxTokens = defaultMaxTokens
	}
	params := sdk.MessageNewParams{
		Model:     req.Model,
		MaxTokens: int64(maxTokens),
		Messages:  msgs,
	}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	if req.User != "" {
		params.Metadata = sdk.MetadataParam{UserID: sdk.String(opaqueUser(req.User))}
	}
	return params, nil
}

// alternate turns the conversation into the strictly alternating
// user/assistant messages the API requires, starting with a user message:
// consecutive turns of one role are merged, assistant turns before the
// first user turn are dropped. The chat domain already sends turns in this
// shape; this keeps the adapter correct for any caller.
func alternate(turns []chat.Turn) ([]sdk.MessageParam, error) {
	type merged struct {
		role   chat.Role
		text   string
		images []chat.Image
	}
	var out []merged
	for i, t := range turns {
		if t.Role != chat.RoleUser && t.Role != chat.RoleAssistant {
			return nil, fmt.Errorf("turn %d: unknown role %q: %w", i, t.Role, chat.ErrInvalid)
		}
		if t.Content == "" || (len(out) == 0 && t.Role != chat.RoleUser) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].role == t.Role {
			out[n-1].text += "\n\n" + t.Content
			out[n-1].images = append(out[n-1].images, t.Images...)
			continue
		}
		out = append(out, merged{t.Role, t.Content, t.Images})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no user message to answer: %w", chat.ErrInvalid)
	}
	msgs := make([]sdk.MessageParam, len(out))
	for i, m := range out {
		if m.role == chat.RoleUser {
			blocks := []sdk.ContentBlockParamUnion{sdk.NewTextBlock(m.text)}
			for _, img := range m.images {
				// Base64 image blocks: the API's image input.
				blocks = append(blocks, sdk.NewImageBlockBase64(img.ContentType, base64.StdEncoding.EncodeToString(img.Data)))
			}
			msgs[i] = sdk.NewUserMessage(blocks...)
		} else {
			msgs[i] = sdk.NewAssistantMessage(sdk.NewTextBlock(m.text))
		}
	}
	return msgs, nil
}

// opaqueUser derives metadata.user_id from the end user's id. The API asks
// for an opaque identifier without personal data, and user ids are often
// e-mail addresses; a hash stays stable per user, so abuse reports can
// still be traced back by hashing the known ids.
func opaqueUser(user string) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:16])
}

package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// A user turn with images becomes text plus base64 data-URL image parts;
// turns without images stay plain strings.
func TestImagesBecomeDataURLParts(t *testing.T) {
	req := chat.CompletionRequest{Model: "gpt-4o", Turns: []chat.Turn{
		{Role: chat.RoleUser, Content: "first"},
		{Role: chat.RoleAssistant, Content: "ok"},
		{Role: chat.RoleUser, Content: "what is this?", Images: []chat.Image{{ContentType: "image/png", Data: []byte("PNGDATA")}}},
	}}
	params, err := buildParams(req, false)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatal(err)
	}
	if got := string(decoded.Messages[0].Content); got != `"first"` {
		t.Errorf("turn without images = %s, want a plain string", got)
	}
	last := string(decoded.Messages[2].Content)
	for _, want := range []string{`"type":"text"`, `"text":"what is this?"`, `"type":"image_url"`, `"url":"data:image/png;base64,UE5HREFUQQ=="`} {
		if !strings.Contains(last, want) {
			t.Errorf("turn with an image = %s, lacks %s", last, want)
		}
	}
}

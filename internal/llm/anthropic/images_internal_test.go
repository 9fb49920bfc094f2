package anthropic

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// A user turn with images becomes a text block followed by base64 image
// blocks, also when consecutive user turns are merged.
func TestImagesBecomeBase64Blocks(t *testing.T) {
	req := chat.CompletionRequest{Model: "claude", Turns: []chat.Turn{
		{Role: chat.RoleUser, Content: "look", Images: []chat.Image{{ContentType: "image/jpeg", Data: []byte("JPG")}}},
		{Role: chat.RoleUser, Content: "and this", Images: []chat.Image{{ContentType: "image/png", Data: []byte("PNG")}}},
	}}
	params, err := buildParams(req, 1024)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	for _, want := range []string{
		`{"text":"look\n\nand this","type":"text"}`,
		`"data":"SlBH","media_type":"image/jpeg","type":"base64"`,
		`"data":"UE5H","media_type":"image/png","type":"base64"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("request %s lacks %s", s, want)
		}
	}
	if n := strings.Count(s, `"role":"user"`); n != 1 {
		t.Errorf("%d user messages, want the two turns merged into one", n)
	}
}

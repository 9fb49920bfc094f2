package dify

import (
	"fmt"
	"strings"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// buildQuery returns the query to send. Dify keeps the conversation on its
// side, so with a conversation id the query is the newest user turn alone.
// Without one, while the session already has history (Dify answers it for
// the first time after a failover, or forgot the conversation), the
// earlier turns are written into the query as a transcript so the app
// still sees the context. The system prompt is not sent: a Dify app owns
// its own prompt.
func buildQuery(turns []chat.Turn, hasConversation bool) (string, error) {
	for i, t := range turns {
		if t.Role != chat.RoleUser && t.Role != chat.RoleAssistant {
			return "", fmt.Errorf("turn %d: unknown role %q: %w", i, t.Role, chat.ErrInvalid)
		}
	}
	last := len(turns) - 1
	if last < 0 || turns[last].Role != chat.RoleUser || strings.TrimSpace(turns[last].Content) == "" {
		return "", fmt.Errorf("the conversation must end with a user message: %w", chat.ErrInvalid)
	}
	question := turns[last].Content
	// Trailing user turns are one question sent in several messages.
	for last > 0 && turns[last-1].Role == chat.RoleUser {
		last--
		question = turns[last].Content + "\n\n" + question
	}
	if hasConversation || last == 0 {
		return question, nil
	}
	var b strings.Builder
	b.WriteString("Earlier in this conversation:\n")
	for _, t := range turns[:last] {
		if t.Content == "" {
			continue
		}
		speaker := "User"
		if t.Role == chat.RoleAssistant {
			speaker = "Assistant"
		}
		fmt.Fprintf(&b, "%s: %s\n", speaker, t.Content)
	}
	b.WriteString("\nThe user's new message:\n")
	b.WriteString(question)
	return b.String(), nil
}

package chat

import "strings"

// HistoryBudget bounds the conversation sent with each completion request.
type HistoryBudget struct {
	MaxMessages int // stored messages read for context
	MaxChars    int // total characters of the turns sent
}

// buildTurns turns stored messages (oldest first) into the conversation a
// model sees. Users speak as "user"; the assistant and human admins as
// "assistant", so a human's answers become context for the AI when it takes
// over again; system notices are not part of the conversation. Consecutive
// turns of one role are merged because several providers require strictly
// alternating roles. The oldest turns are dropped until the total fits
// MaxChars, but the newest turn is always kept whole: it is the question.
// The result starts with a user turn, or is empty.
func buildTurns(msgs []Message, maxChars int) []Turn {
	var turns []Turn
	for _, m := range msgs {
		var role Role
		switch m.Sender {
		case SenderUser:
			role = RoleUser
		case SenderAI, SenderAdmin:
			role = RoleAssistant
		default:
			continue
		}
		content := m.Content + describeAttachments(m.Attachments)
		if content == "" {
			continue
		}
		images := imageRefs(m.Attachments)
		if n := len(turns); n > 0 && turns[n-1].Role == role {
			turns[n-1].Content += "\n\n" + content
			turns[n-1].Images = append(turns[n-1].Images, images...)
			continue
		}
		turns = append(turns, Turn{Role: role, Content: content, Images: images})
	}
	total := 0
	for _, t := range turns {
		total += len(t.Content)
	}
	for len(turns) > 1 && total > maxChars {
		total -= len(turns[0].Content)
		turns = turns[1:]
	}
	for len(turns) > 0 && turns[0].Role != RoleUser {
		turns = turns[1:]
	}
	return turns
}

// pendingQuestion finds the newest user message and reports whether a reply
// to it is still owed: no ai message after it answers it. Keeping this a
// pure read of storage makes starting a reply idempotent, so a retried
// message or a second instance never produces a second answer.
func pendingQuestion(msgs []Message) (userSeq int64, owed bool) {
	for i := len(msgs) - 1; i >= 0; i-- {
		switch msgs[i].Sender {
		case SenderUser:
			return msgs[i].Seq, true
		case SenderAI, SenderAdmin:
			return 0, false
		}
	}
	return 0, false
}

// blank reports whether s is empty once surrounding white space is removed.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

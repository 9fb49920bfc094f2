package chat

import (
	"cmp"
	"slices"
	"strings"
)

// HistoryBudget bounds the conversation sent with each completion request.
type HistoryBudget struct {
	MaxMessages int // stored messages read for context
	MaxChars    int // total characters of the turns sent
}

// buildTurns turns stored messages (oldest first) into the conversation a
// model sees, each ai reply right after the question it answered. Users speak as "user"; the assistant and human admins as
// "assistant", so a human's answers become context for the AI when it takes
// over again; system notices are not part of the conversation. Consecutive
// turns of one role are merged because several providers require strictly
// alternating roles. The oldest turns are dropped until the total fits
// MaxChars, but the newest turn is always kept whole: it is the question.
// The result starts with a user turn, or is empty.
func buildTurns(msgs []Message, maxChars int) []Turn {
	var turns []Turn
	for _, m := range conversationOrder(msgs) {
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
// to it is still owed: no ai message answers it (reply_to at or past it)
// and no human answered after it. Follow-ups sent while a reply streams
// come before that reply in seq order but are newer than its reply_to, so
// they stay owed and are answered by the next run. Keeping this a pure
// read of storage makes starting a reply idempotent, so a retried message
// or a second instance never produces a second answer.
func pendingQuestion(msgs []Message) (userSeq int64, owed bool) {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Sender == SenderUser {
			userSeq = msgs[i].Seq
			break
		}
	}
	if userSeq == 0 {
		return 0, false
	}
	for _, m := range msgs {
		switch {
		case m.Sender == SenderAI && answers(m, userSeq):
			return 0, false
		case m.Sender == SenderAdmin && m.Seq > userSeq:
			return 0, false
		}
	}
	return userSeq, true
}

// answers reports whether the ai message ai answers the user message seq.
// A reply without reply_to (stored before replies named their question)
// answers everything before it.
func answers(ai Message, seq int64) bool {
	if ai.ReplyTo == 0 {
		return ai.Seq > seq
	}
	return ai.ReplyTo >= seq
}

// conversationOrder returns msgs (in seq order) with each ai reply moved
// right after the question it answers. A reply is stored after the
// follow-ups the user sent while it streamed; the model must see it where
// it was given, so the follow-ups form the newest user turn.
func conversationOrder(msgs []Message) []Message {
	ordered := slices.Clone(msgs)
	slices.SortStableFunc(ordered, func(a, b Message) int {
		return cmp.Compare(conversationPos(a), conversationPos(b))
	})
	return ordered
}

// conversationPos places a message in the conversation: user, human and
// system messages where they were stored, an ai reply just after its
// question (twice the seq, plus one), ahead of any later message.
func conversationPos(m Message) int64 {
	if m.Sender == SenderAI && m.ReplyTo > 0 && m.ReplyTo < m.Seq {
		return 2*m.ReplyTo + 1
	}
	return 2 * m.Seq
}

// blank reports whether s is empty once surrounding white space is removed.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

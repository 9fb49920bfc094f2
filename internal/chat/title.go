package chat

import (
	"regexp"
	"strings"
	"unicode"
)

// A session's title is its first question as plain text, made when the
// session starts and stored with it, sealed like message content: lists on
// the chat page and the console name each conversation without opening its
// messages, and two chats started in the same minute read differently.

// maxTitleRunes bounds a title; longer questions are cut at a word.
const maxTitleRunes = 60

var (
	markdownLink   = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	markdownPrefix = regexp.MustCompile(`^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)`)
	markdownMarks  = strings.NewReplacer("**", "", "__", "", "~~", "", "`", "")
)

// titleOf makes a title from a first message: Markdown reduced to its text,
// lines joined, white space folded, cut at a word boundary with an ellipsis.
// It is empty for a message without text (files only).
func titleOf(content string) string {
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		l = markdownPrefix.ReplaceAllString(l, "")
		l = markdownLink.ReplaceAllString(l, "$1")
		lines[i] = markdownMarks.Replace(l)
	}
	// Format characters (bidi overrides among them) could make a title read
	// differently from what it says; control characters are folded into
	// spaces with the line breaks.
	text := strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, strings.Join(lines, " "))
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = strings.Trim(w, "*_")
	}
	title := strings.Join(strings.Fields(strings.Join(words, " ")), " ")
	runes := []rune(title)
	if len(runes) <= maxTitleRunes {
		return title
	}
	cut := string(runes[:maxTitleRunes])
	if i := strings.LastIndexByte(cut, ' '); i > maxTitleRunes/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:-") + "…"
}

// titleData binds a sealed title to its session; no message id can take
// this form, so a title never opens as a message or the reverse.
func titleData(sessionID string) []byte {
	return []byte(sessionID + "\x00title")
}

// sealTitle seals the title of a new session; nil for an empty title.
func (s *Service) sealTitle(sessionID, title string) ([]byte, error) {
	if title == "" {
		return nil, nil
	}
	return s.sealer.Seal([]byte(title), titleData(sessionID))
}

// titled returns sess with its title opened, for everything the Service
// hands out or publishes. A title that cannot be opened (a key dropped too
// early) is logged and left empty: the pages then name the chat by its
// date, and no ciphertext is ever shown as text.
func (s *Service) titled(sess Session) Session {
	sealed := sess.SealedTitle
	sess.SealedTitle = nil
	if len(sealed) == 0 || sess.Title != "" {
		return sess
	}
	plain, err := s.sealer.Open(sealed, titleData(sess.ID))
	if err != nil {
		s.log.Warn("could not open a session title", "session_id", sess.ID, "err", err)
		return sess
	}
	sess.Title = string(plain)
	return sess
}

// titledPage is titled for every session of a page.
func (s *Service) titledPage(p SessionPage) SessionPage {
	for i, sess := range p.Sessions {
		p.Sessions[i] = s.titled(sess)
	}
	return p
}

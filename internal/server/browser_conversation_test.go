package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests of issue 15: nothing a person does in the chat is lost
// to a dropped connection or a chat still starting, indicators end, an
// ended chat says who ended it, and conversations keep their titles.

// storedMessage is a message as GET .../messages returns it.
type storedMessage struct {
	Seq     int64  `json:"seq"`
	Sender  string `json:"sender"`
	Content string `json:"content"`
	ReplyTo int64  `json:"reply_to"`
}

// storedSession is a session as the session listings return it.
type storedSession struct {
	SessionID     string `json:"session_id"`
	UserID        string `json:"user_id"`
	Status        string `json:"status"`
	HelpRequested bool   `json:"help_requested"`
	Title         string `json:"title"`
}

// adminSessions lists every user's sessions matching query, as the server
// has stored them.
func adminSessions(t *testing.T, in *instance, query string) []storedSession {
	t.Helper()
	var body struct {
		Sessions []storedSession `json:"sessions"`
	}
	if status := getJSON(t, in.baseURL+"/admin/sessions?"+query, adminToken(t, "auditor"), &body); status != 200 {
		t.Fatalf("GET /admin/sessions?%s: status %d", query, status)
	}
	return body.Sessions
}

// adminMessages returns a session's stored messages.
func adminMessages(t *testing.T, in *instance, sessionID string) []storedMessage {
	t.Helper()
	var body struct {
		Messages []storedMessage `json:"messages"`
	}
	if status := getJSON(t, in.baseURL+"/admin/sessions/"+sessionID+"/messages", adminToken(t, "auditor"), &body); status != 200 {
		t.Fatalf("GET messages of %s: status %d", sessionID, status)
	}
	return body.Messages
}

// everyQuestionAnswered waits until each user message of the session is
// covered by an assistant reply (one reply may answer a burst: its
// reply_to is the newest question it saw), and returns the messages.
func everyQuestionAnswered(t *testing.T, in *instance, sessionID string) []storedMessage {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	for {
		msgs := adminMessages(t, in, sessionID)
		var lastUser, answered int64
		for _, m := range msgs {
			switch m.Sender {
			case "user":
				lastUser = m.Seq
			case "ai":
				answered = max(answered, m.ReplyTo)
			}
		}
		if lastUser > 0 && answered >= lastUser {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("user message %d has no reply; stored: %+v", lastUser, msgs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testOfflineHelpRequest(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	env := testEnv(t.TempDir(), llm.URL, nil)
	in := start(t, env)
	addr := hostPort(t, in)
	p := b.page(t, "user")
	p.login(in.baseURL, "fiona", "Fiona", false)
	p.do(chromedp.SendKeys("#input", "My parcel never arrived\n"))
	p.waitJS("the reply", hasText(".message.ai:not(.streaming)", "My parcel never arrived"))

	in.stop()
	p.waitJS("the offline state", `document.querySelector('#conn').dataset.state === 'offline'`)
	p.do(chromedp.Click("#help"))
	// Not greyed out as if accepted: the page says the request waits.
	p.waitJS("the queued help request", `document.querySelector('#help').dataset.state === 'queued' &&
		document.querySelector('#help').textContent.includes('when back online') &&
		document.querySelector('#banner').dataset.kind === 'queued' && !document.querySelector('#banner').hidden`)
	p.screenshot("help-offline", phone)

	again := startAt(t, env, addr)
	p.waitJS("the confirmed help request", `document.querySelector('#conn').dataset.state === 'online' &&
		document.querySelector('#banner').dataset.kind === 'waiting' && document.querySelector('#help').dataset.state === ''`)
	waiting := adminSessions(t, again, "help_requested=true")
	if len(waiting) != 1 || waiting[0].UserID != "fiona" {
		t.Fatalf("help requests stored on the server: %+v, want fiona's session", waiting)
	}
}

func testSecondMessageInNewChat(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	p := b.page(t, "user")
	p.login(in.baseURL, "gus", "Gus", false)
	// Two messages in one task: the second is typed before the server can
	// have acknowledged the first, i.e. before the new chat has its id.
	eval[bool](p, `(() => {
		const input = document.querySelector('#input');
		const form = document.querySelector('#composer');
		input.value = 'I need a new battery';
		form.requestSubmit();
		input.value = 'for a 2019 laptop';
		form.requestSubmit();
		return true;
	})()`)
	if v := eval[string](p, `document.querySelector('#input').value`); v != "" {
		t.Fatalf("the second message was left in the input box: %q", v)
	}
	p.waitJS("both messages acknowledged", `document.querySelectorAll('#messages .message.user:not(.pending)').length === 2 &&
		document.querySelectorAll('#messages .pending').length === 0`)
	if n := eval[int](p, `document.querySelectorAll('#session-list li').length`); n != 1 {
		t.Errorf("%d conversations listed, want 1", n)
	}
	sessions := adminSessions(t, in, "user_id=gus")
	if len(sessions) != 1 {
		t.Fatalf("gus has %d sessions, want 1: %+v", len(sessions), sessions)
	}
	msgs := everyQuestionAnswered(t, in, sessions[0].SessionID)
	var users []string
	for _, m := range msgs {
		if m.Sender == "user" {
			users = append(users, m.Content)
		}
	}
	if strings.Join(users, "|") != "I need a new battery|for a 2019 laptop" {
		t.Fatalf("stored user messages %q", users)
	}
	p.waitJS("no reply shown as still coming", `document.querySelectorAll('#messages .streaming, #messages .thinking').length === 0`)
}

func testTypingIndicatorsEnd(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	user := b.page(t, "user")
	user.login(in.baseURL, "hana", "Hana", false)
	user.do(chromedp.SendKeys("#input", "Can someone check my invoice?\n"))
	user.waitJS("the reply", hasText(".message.ai:not(.streaming)", "check my invoice"))

	admin := b.page(t, "admin")
	admin.login(in.baseURL, "ada", "Ada", true)
	admin.do(chromedp.Click(`.admin-session[data-session]`))
	admin.waitJS("the conversation", hasText("#d-messages .message.user", "check my invoice"))
	if ph := eval[string](admin, `document.querySelector('#d-input').placeholder`); !strings.Contains(ph, "Take over") {
		t.Errorf("placeholder before the takeover = %q", ph)
	}
	admin.do(chromedp.Click("#d-takeover"))
	admin.waitJS("the reply box", `!document.querySelector('#d-input').disabled`)
	label := eval[string](admin, `document.querySelector('#d-input-label').textContent`)
	if ph := eval[string](admin, `document.querySelector('#d-input').placeholder`); strings.Contains(ph, "Take over") || !strings.Contains(label, "Reply as") {
		t.Errorf("after the takeover: label %q, placeholder %q", label, ph)
	}

	// The admin's indicator ends on the user's page when her message arrives.
	admin.do(chromedp.SendKeys("#d-input", "Looking at it"))
	user.waitJS("the admin typing", `document.querySelector('#typing').textContent === 'Ada from Support is typing…'`)
	admin.do(chromedp.SendKeys("#d-input", " now."))
	admin.pressEnter("#d-input")
	user.waitJS("the admin's message", hasText("#messages .message.admin", "Looking at it now."))
	if got := eval[string](user, `document.querySelector('#typing').textContent`); got != "" {
		t.Errorf("under the admin's delivered message the user still sees %q", got)
	}
	if got := eval[string](admin, `document.querySelector('#d-typing').textContent`); got != "" {
		t.Errorf("the admin sees her own typing: %q", got)
	}

	// The user's indicator ends on the console when the user's message arrives...
	user.do(chromedp.SendKeys("#input", "Thanks"))
	admin.waitJS("the user typing", `document.querySelector('#d-typing').textContent === 'Hana is typing…'`)
	user.do(chromedp.SendKeys("#input", "!"))
	user.pressEnter("#input")
	admin.waitJS("the user's message", hasText("#d-messages .message.user", "Thanks!"))
	if got := eval[string](admin, `document.querySelector('#d-typing').textContent`); got != "" {
		t.Errorf("under the user's delivered message the console still shows %q", got)
	}
	if got := eval[string](user, `document.querySelector('#typing').textContent`); got != "" {
		t.Errorf("the user sees their own typing: %q", got)
	}
	// ... on release...
	user.do(chromedp.SendKeys("#input", "One more thing"))
	admin.waitJS("the user typing again", `document.querySelector('#d-typing').textContent === 'Hana is typing…'`)
	admin.do(chromedp.Click("#d-release"))
	admin.waitJS("the released session", `!document.querySelector('#d-takeover').hidden`)
	if got := eval[string](admin, `document.querySelector('#d-typing').textContent`); got != "" {
		t.Errorf("after the release the console still shows %q", got)
	}
	// ... and a few seconds after the last typing frame.
	user.pressEnter("#input")
	user.waitJS("the sent message", `document.querySelector('#input').value === ''`)
	user.do(chromedp.SendKeys("#input", "and"))
	admin.waitJS("the user typing once more", `document.querySelector('#d-typing').textContent === 'Hana is typing…'`)
	admin.waitJS("the indicator ending on its own", `document.querySelector('#d-typing').textContent === ''`)
}

// pressEnter presses Enter in the field sel as a person does: one keydown
// that the page handles (sending the message). chromedp's "\n" key also
// types a character event that a real browser suppresses once the keydown
// was handled, which would put a stray line break and a typing signal
// after the sent message.
func (p *page) pressEnter(sel string) {
	p.t.Helper()
	eval[bool](p, `document.querySelector(`+strconv.Quote(sel)+`).dispatchEvent(
		new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', bubbles: true, cancelable: true}))`)
}

func testEndedByAdmin(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	user := b.page(t, "user")
	user.login(in.baseURL, "ivan", "Ivan", false)
	user.do(chromedp.SendKeys("#input", "Please close my account\n"))
	user.waitJS("the reply", hasText(".message.ai:not(.streaming)", "close my account"))

	admin := b.page(t, "admin")
	admin.login(in.baseURL, "ada", "Ada", true)
	admin.do(chromedp.Click(`.admin-session[data-session]`))
	admin.waitJS("the conversation", hasText("#d-messages .message.user", "close my account"))
	admin.do(chromedp.Click("#d-takeover"))
	admin.waitJS("the reply box", `!document.querySelector('#d-input').disabled`)
	admin.do(chromedp.SendKeys("#d-input", "Done: your account is closed. Goodbye!\n"))
	user.waitJS("the admin's last message", hasText("#messages .message.admin", "Goodbye!"))

	// End session asks first; keeping the session open changes nothing.
	admin.do(chromedp.Click("#d-end"))
	admin.waitJS("the confirmation dialog", `document.querySelector('#end-dialog').open`)
	admin.screenshot("console-end-confirm", phone)
	admin.do(chromedp.Click("#end-cancel"))
	admin.waitJS("the closed dialog", `!document.querySelector('#end-dialog').open`)
	if s := adminSessions(t, in, "user_id=ivan"); len(s) != 1 || s[0].Status != "active" {
		t.Fatalf("after cancelling, the session is %+v", s)
	}
	admin.do(chromedp.Click("#d-end"))
	admin.waitJS("the confirmation dialog", `document.querySelector('#end-dialog').open`)
	admin.do(chromedp.Click("#end-confirm"))
	admin.waitJS("the ended session", `document.querySelector('#d-end').hidden && document.querySelector('#d-input').placeholder.includes('ended')`)

	user.waitJS("the end-of-chat panel", `!document.querySelector('#ended').hidden && document.querySelector('#composer').hidden`)
	if got := eval[string](user, `document.querySelector('#ended-text').textContent`); got != "Ada from Support ended this conversation." {
		t.Errorf("end-of-chat text = %q", got)
	}
	for _, s := range []screen{desktop, phone} {
		user.screenshot("chat-ended", s)
		// The last message is shown in full above the panel.
		if !eval[bool](user, `(() => {
			const list = document.querySelector('#messages').getBoundingClientRect();
			const last = [...document.querySelectorAll('#messages .message')].pop().getBoundingClientRect();
			return last.bottom <= list.bottom + 1 && last.top >= list.top - 1;
		})()`) {
			t.Errorf("%s: the last message is cut off", s.name)
		}
	}
	user.do(chromedp.Click("#ended-new"))
	user.waitJS("a new chat", `!document.querySelector('#composer').hidden && document.querySelector('#ended').hidden &&
		document.querySelectorAll('#messages .message').length === 0`)
	user.do(chromedp.SendKeys("#input", "Actually, one more question\n"))
	user.waitJS("the new chat's reply", hasText(".message.ai:not(.streaming)", "one more question"))
	if s := adminSessions(t, in, "user_id=ivan&status=active"); len(s) != 1 {
		t.Fatalf("active sessions after starting a new chat: %+v", s)
	}
}

func testTitlesAfterReload(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	p := b.page(t, "user")
	p.login(in.baseURL, "jana", "Jana", false)
	// Two chats in the same minute, opened with Markdown.
	p.do(chromedp.SendKeys("#input", "How do I **reset** my password?\n"))
	p.waitJS("the first reply", hasText(".message.ai:not(.streaming)", "reset"))
	p.do(chromedp.Click("#new-chat"))
	p.do(chromedp.SendKeys("#input", "Do you ship to `Canada`?\n"))
	p.waitJS("the second reply", hasText(".message.ai:not(.streaming)", "Canada"))

	p.do(chromedp.Reload())
	p.waitJS("both conversations listed", `document.querySelector('#conn').dataset.state === 'online' &&
		document.querySelectorAll('#session-list .title').length === 2 &&
		![...document.querySelectorAll('#session-list .title')].some((e) => e.textContent === 'New conversation')`)
	titles := eval[[]string](p, `[...document.querySelectorAll('#session-list .title')].map((e) => e.textContent)`)
	if len(titles) != 2 || titles[0] == titles[1] {
		t.Fatalf("titles after reload = %q, want two different ones", titles)
	}
	for _, title := range titles {
		if strings.Contains(title, "Chat of") || strings.ContainsAny(title, "*`") {
			t.Errorf("title %q: want plain text from the conversation", title)
		}
	}
	if !strings.Contains(titles[0]+titles[1], "password") || !strings.Contains(titles[0]+titles[1], "Canada") {
		t.Errorf("titles %q do not come from the conversations", titles)
	}
	p.screenshot("chat-titles", phone)

	admin := b.page(t, "admin")
	admin.login(in.baseURL, "ada", "Ada", true)
	admin.waitJS("titled rows on the console", `[...document.querySelectorAll('.admin-session .title')].filter((e) => e.textContent !== 'New conversation').length === 2`)
	rows := eval[[]string](admin, `[...document.querySelectorAll('.admin-session .title')].map((e) => e.textContent)`)
	if len(rows) != 2 || rows[0] == rows[1] || strings.ContainsAny(strings.Join(rows, ""), "*`") {
		t.Errorf("console titles = %q", rows)
	}
}

func testBareLinks(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	p := b.page(t, "user")
	p.login(in.baseURL, "kim", "Kim", false)
	tests := []struct {
		text  string
		hrefs []string
	}{
		{`He said “see https://example.com/a” twice`, []string{"https://example.com/a"}},
		{`"https://example.com/b"`, []string{"https://example.com/b"}},
		{`Read https://example.com/c.`, []string{"https://example.com/c"}},
		{`(see https://example.com/d)`, []string{"https://example.com/d"}},
		{`https://en.wikipedia.org/wiki/Go_(programming_language), a wiki page`, []string{"https://en.wikipedia.org/wiki/Go_(programming_language)"}},
		{`one https://example.com/e?x=1,2, two https://example.com/f!`, []string{"https://example.com/e?x=1,2", "https://example.com/f"}},
		{`‘https://example.com/g’`, []string{"https://example.com/g"}},
	}
	for _, tt := range tests {
		got := eval[[]string](p, fmt.Sprintf(`import(%q).then((md) => {
			const div = document.createElement('div');
			div.append(md.render(%q));
			return [...div.querySelectorAll('a')].map((a) => a.getAttribute('href'));
		})`, in.baseURL+"/static/js/lib/markdown.js", tt.text))
		if strings.Join(got, " ") != strings.Join(tt.hrefs, " ") {
			t.Errorf("links in %q = %q, want %q", tt.text, got, tt.hrefs)
		}
	}
}

package server

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// TestBrowser runs the web pages in headless Chromium against the real
// server: the user chat page and the admin console, as a person uses them.
func TestBrowser(t *testing.T) {
	b := startBrowser(t)
	t.Run("user sees the reply stream in, rendered safely", func(t *testing.T) { testStreamedReply(t, b) })
	t.Run("page survives a server restart and keeps the history", func(t *testing.T) { testRestart(t, b) })
	t.Run("user sends a file", func(t *testing.T) { testAttachment(t, b) })
	t.Run("admin answers a help request the user sees", func(t *testing.T) { testHelpTakeover(t, b) })
	t.Run("another site embeds the chat and hands over the token", func(t *testing.T) { testEmbedded(t, b) })
	t.Run("a help request made offline is sent on reconnection", func(t *testing.T) { testOfflineHelpRequest(t, b) })
	t.Run("a second message in a new chat waits for its session", func(t *testing.T) { testSecondMessageInNewChat(t, b) })
	t.Run("typing indicators end on the message, on release and on their own", func(t *testing.T) { testTypingIndicatorsEnd(t, b) })
	t.Run("an admin ends the session after confirming; the user sees who", func(t *testing.T) { testEndedByAdmin(t, b) })
	t.Run("conversations keep distinct plain titles after a reload", func(t *testing.T) { testTitlesAfterReload(t, b) })
	t.Run("bare links stop before quotation marks and punctuation", func(t *testing.T) { testBareLinks(t, b) })
}

func testStreamedReply(t *testing.T, b *browser) {
	gate := make(chan struct{})
	answer := "Here is **bold** and `code` and <b>not html</b>, see [the docs](https://example.com/docs) and [this](javascript:alert(1))."
	llm := fakeLLM(t, llmtest.WithReply(func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: llmtest.Tokenize(answer), Gate: gate, GateAfter: 3}
	}))
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	p := b.page(t, "user")
	p.login(in.baseURL, "alice", "Alice", false)

	p.do(chromedp.SendKeys("#input", "Tell me something\n"))
	p.waitJS("the acknowledged question", `document.querySelector('.message.user:not(.pending)')?.textContent.includes('Tell me something')`)
	// The fake model holds the reply after three tokens: what the page shows
	// now can only have come from the stream.
	p.waitJS("the first streamed words", hasText(".message.ai.streaming", "Here is bold"))
	if eval[bool](p, `document.querySelector('.message.ai:not(.streaming)') !== null`) {
		t.Fatal("a finished reply is shown while the model is still held")
	}
	close(gate)
	p.waitJS("the finished reply", `document.querySelector('.message.ai:not(.streaming)')?.textContent.includes('not html')`)

	got := eval[map[string]any](p, `(() => {
		const m = document.querySelector('.message.ai:not(.streaming) .body');
		const links = [...m.querySelectorAll('a')];
		return {
			strong: m.querySelector('strong')?.textContent,
			code: m.querySelector('code')?.textContent,
			htmlElements: m.querySelectorAll('b, script, img').length,
			links: links.length,
			href: links[0]?.href,
			rel: links[0]?.rel,
			text: m.textContent,
			streaming: document.querySelectorAll('.message.streaming').length,
		};
	})()`)
	want := map[string]any{"strong": "bold", "code": "code", "htmlElements": float64(0), "links": float64(1),
		"href": "https://example.com/docs", "rel": "noopener noreferrer", "streaming": float64(0)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("rendered reply: %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if text, _ := got["text"].(string); !strings.Contains(text, "<b>not html</b>") || !strings.Contains(text, "[this](javascript:alert(1))") {
		t.Errorf("raw HTML and unsafe links must show as text; text = %q", text)
	}
}

func testRestart(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	env := testEnv(t.TempDir(), llm.URL, nil)
	in := start(t, env)
	addr := hostPort(t, in)
	p := b.page(t, "user")
	p.login(in.baseURL, "bob", "Bob", false)

	p.do(chromedp.SendKeys("#input", "first question\n"))
	p.waitJS("the first reply", hasText(".message.ai:not(.streaming)", "first question"))

	in.stop()
	p.waitJS("the offline state", `document.querySelector('#conn').dataset.state === 'offline'`)
	again := startAt(t, env, addr)
	p.waitJS("the reconnection", `document.querySelector('#conn').dataset.state === 'online'`)
	p.do(chromedp.SendKeys("#input", "second question\n"))
	p.waitJS("the second reply", hasText(".message.ai:not(.streaming)", "second question"))

	p.do(chromedp.Reload())
	wantTexts := []string{"first question", "first question", "second question", "second question"}
	p.waitJS("the full history after a reload", fmt.Sprintf(
		`document.querySelector('#conn').dataset.state === 'online' && document.querySelectorAll('#messages .message').length === %d`, len(wantTexts)))
	texts := eval[[]string](p, `[...document.querySelectorAll('#messages .message .body')].map((e) => e.textContent.trim())`)
	senders := eval[[]string](p, `[...document.querySelectorAll('#messages .message')].map((e) => e.classList[1])`)
	for i, want := range wantTexts {
		if i >= len(texts) || !strings.Contains(texts[i], want) {
			t.Fatalf("history after restart = %q, want %q", texts, wantTexts)
		}
	}
	if strings.Join(senders, ",") != "user,ai,user,ai" {
		t.Errorf("senders = %v", senders)
	}
	_ = again
}

func testHelpTakeover(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))

	admin := b.page(t, "admin")
	admin.login(in.baseURL, "ada", "Ada", true)
	admin.waitJS("the metrics", `document.querySelector('#metric-help .value').textContent === '0'`)

	user := b.page(t, "user")
	user.login(in.baseURL, "carol", "Carol", false)
	user.do(chromedp.SendKeys("#input", "Where is my order #1234?\n"))
	user.waitJS("the assistant's reply", hasText(".message.ai:not(.streaming)", "Where is my order"))
	admin.waitJS("the new session in the live list", hasText(".admin-session .user", "carol"))

	user.do(chromedp.Click("#help"))
	user.waitJS("the waiting banner", `document.querySelector('#banner').dataset.kind === 'waiting'`)
	admin.waitJS("the highlighted help request", hasText("li.help .admin-session .wait", "waiting"))
	admin.waitJS("the help metric", `document.querySelector('#metric-help .value').textContent === '1'`)

	admin.do(chromedp.Click("li.help .admin-session"))
	admin.waitJS("the watched conversation", hasText("#d-messages .message.user", "Where is my order"))
	admin.do(chromedp.Click("#d-takeover"))
	admin.waitJS("the reply box", `!document.querySelector('#d-input').disabled`)
	admin.waitJS("the takeover metrics", `document.querySelector('#metric-help .value').textContent === '0' && document.querySelector('#metric-human .value').textContent === '1'`)
	user.waitJS("the human joined banner", `document.querySelector('#banner').dataset.kind === 'human' && document.querySelector('#banner').textContent.includes('Ada has joined')`)

	admin.do(chromedp.SendKeys("#d-input", "Hi Carol, Ada here. Your order ships **today**.\n"))
	user.waitJS("the admin's message with her name", `[...document.querySelectorAll('.message.admin')].some((m) =>
		m.querySelector('.author').textContent === 'Ada' && m.textContent.includes('Your order ships today'))`)
	admin.waitJS("the acknowledged reply", `document.querySelector('#d-messages .message.admin:not(.pending)') !== null`)

	user.do(chromedp.SendKeys("#input", "Thank you!\n"))
	admin.waitJS("the user's answer, live", hasText("#d-messages .message.user", "Thank you!"))
	user.screenshot("chat", desktop)
	user.screenshot("chat", phone)
	admin.screenshot("console", desktop)
	admin.screenshot("console", phone)

	admin.do(chromedp.Click("#d-release"))
	user.waitJS("the assistant back", `document.querySelector('#banner').hidden`)
	admin.waitJS("the released session", `!document.querySelector('#d-takeover').hidden && document.querySelector('#d-input').disabled`)
}

// hostPage is a site embedding the chat with the embed script: it hands
// over the token it got from its own backend and shows when the chat is live.
const hostPage = `<!doctype html><html><head><title>host</title></head><body>
<h1>Shop</h1><div id="chat"></div>
<script src="%s/static/js/embed.js"></script>
<script>
ChatboxEmbed.mount(document.getElementById('chat'), {
  token: () => %q,
  onConnected: (user) => { document.title = 'chat connected as ' + user; },
});
</script></body></html>`

func testEmbedded(t *testing.T, b *browser) {
	// The chat's own origin and the host's must both be allowed, so the
	// server's address is chosen before it starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var chatURL string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, chatURL, token(t, "dave", time.Hour))
	}))
	t.Cleanup(host.Close)
	llm := fakeLLM(t)
	in := startAt(t, testEnv(t.TempDir(), llm.URL, map[string]string{
		"WS_ALLOWED_ORIGINS": "http://" + addr + "," + host.URL,
	}), addr)
	chatURL = in.baseURL

	p := b.page(t, "host")
	p.do(chromedp.Navigate(host.URL))
	p.waitJS("the embedded chat signed in with the host's token", `document.title === 'chat connected as dave'`)
}

func testAttachment(t *testing.T, b *browser) {
	llm := fakeLLM(t)
	in := start(t, testEnv(t.TempDir(), llm.URL, nil))
	file := filepath.Join(t.TempDir(), "receipt.txt")
	if err := os.WriteFile(file, []byte("order 1234, paid"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := b.page(t, "user")
	p.login(in.baseURL, "erin", "Erin", false)

	p.do(chromedp.SetUploadFiles("#file", []string{file}))
	p.waitJS("the uploaded file", hasText("#attachments .upload-ready", "ready"))
	p.do(chromedp.SendKeys("#input", "Here is my receipt\n"))
	p.waitJS("the message with its file", hasText(".message.user:not(.pending) .attachment", "receipt.txt"))
	if n := eval[int](p, `document.querySelectorAll('#attachments li').length`); n != 0 {
		t.Errorf("%d files still listed after sending", n)
	}
	// The file went to the server and back: fetch it as the page would.
	got := eval[string](p, `(async () => {
		const res = await fetch('/chat/sessions?limit=1', {headers: {Authorization: 'Bearer ' + localStorage.getItem('chatbox.token')}});
		const sid = (await res.json()).sessions[0].session_id;
		const msgs = await (await fetch('/chat/sessions/' + sid + '/messages', {headers: {Authorization: 'Bearer ' + localStorage.getItem('chatbox.token')}})).json();
		const file = msgs.messages[0].attachments[0];
		return (await fetch('/chat/uploads/' + file.file_id, {headers: {Authorization: 'Bearer ' + localStorage.getItem('chatbox.token')}})).text();
	})()`)
	if got != "order 1234, paid" {
		t.Errorf("stored file = %q", got)
	}

	// A refused file says which files are accepted, in a whole sentence.
	program := filepath.Join(t.TempDir(), "tool.exe")
	if err := os.WriteFile(program, []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.SetUploadFiles("#file", []string{program}))
	p.waitJS("the refused file", `document.querySelector('#attachments .upload-error') !== null`)
	if msg := eval[string](p, `document.querySelector('#attachments .upload-error').textContent`); !strings.HasSuffix(msg, "plain text and office documents.") {
		t.Errorf("refused file message = %q, want a complete sentence", msg)
	}
}

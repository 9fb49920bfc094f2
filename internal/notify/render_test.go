package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var renderAt = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func mustRenderer(t testing.TB, panel string) *renderer {
	t.Helper()
	r, err := newRenderer(panel)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLink(t *testing.T) {
	tests := []struct{ panel, session, want string }{
		{"", "s1", ""},
		{"https://admin.example.com/console", "", ""},
		{"https://admin.example.com/console", "s1", "https://admin.example.com/console?session=s1"},
		{"https://admin.example.com/console?tab=help", "a b&c", "https://admin.example.com/console?session=a+b%26c&tab=help"},
		{"https://admin.example.com/sessions/{session_id}", "0193-ab", "https://admin.example.com/sessions/0193-ab"},
		{"https://admin.example.com/s/{session_id}", "../x?y", "https://admin.example.com/s/..%2Fx%3Fy"},
	}
	for _, tt := range tests {
		if got := mustRenderer(t, tt.panel).link(tt.session); got != tt.want {
			t.Errorf("link(%q, %q) = %q, want %q", tt.panel, tt.session, got, tt.want)
		}
	}
}

func TestRenderHostileUserText(t *testing.T) {
	r := mustRenderer(t, "https://admin.example.com/console")
	e := Event{Type: HelpRequested, Key: "k", SessionID: "s1", UserID: "mallory",
		UserName:    "Mallory\r\nBcc: victim@example.com <script>alert(1)</script>",
		LastMessage: "<img src=x onerror=alert(1)>\nline two", At: renderAt}
	m, err := r.message(Notification{ID: "n1", Event: HelpRequested, Channel: Email, Recipient: "ops@example.com"}, e, renderAt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q spans lines", m.Subject)
	}
	for _, raw := range []string{"<script>", "<img"} {
		if strings.Contains(m.HTML, raw) {
			t.Errorf("HTML body carries %q unescaped", raw)
		}
	}
	if !strings.Contains(m.HTML, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(m.Text, "> line two") {
		t.Errorf("the message is not quoted as text:\n%s\n%s", m.HTML, m.Text)
	}
	if smsCost(m.Short) > smsLimit || strings.Contains(m.Short, "\n") {
		t.Errorf("SMS %q is over one segment or spans lines", m.Short)
	}
}

func TestSMSFitsOneSegment(t *testing.T) {
	long := strings.Repeat("Bartholomew-", 20)
	tests := []struct {
		name, user, panel string
		wantPrefix        string
		wantLink          bool
	}{
		{"short", "José", "https://a.example.com/c", "Chatbox: José asked for a human. https://a.example.com/c?session=s1", true},
		{"long name is cut, link kept", long, "https://a.example.com/c", "Chatbox: Bartholomew-", true},
		{"emoji and backtick become ?", "Zoë 🙂`", "", "Chatbox: Zo? ?? asked for a human.", false},
		{"link too long is dropped", "Ann", "https://a.example.com/" + strings.Repeat("p", 200), "Chatbox: Ann asked for a human.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRenderer(t, tt.panel)
			c := r.content(Event{Type: HelpRequested, SessionID: "s1", UserID: "u", UserName: tt.user, At: renderAt}, renderAt)
			if smsCost(c.Short) > smsLimit {
				t.Errorf("SMS costs %d septets: %q", smsCost(c.Short), c.Short)
			}
			if !strings.HasPrefix(c.Short, tt.wantPrefix) {
				t.Errorf("SMS %q, want it to start with %q", c.Short, tt.wantPrefix)
			}
			if hasLink := strings.Contains(c.Short, "https://"); hasLink != tt.wantLink {
				t.Errorf("SMS %q: link present = %v, want %v", c.Short, hasLink, tt.wantLink)
			}
		})
	}
}

func TestSeptets(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "a{b}": 6, "é£": 2, "€": 0, "`": 0, "~": 2} {
		if got := smsCost(s); got != want {
			t.Errorf("smsCost(%q) = %d, want %d", s, got, want)
		}
	}
}

// FuzzRender feeds arbitrary user text through every event's rendering:
// it must not fail, the subject stays on one line, the SMS within one
// GSM-7 segment, and no markup reaches the HTML body unescaped.
func FuzzRender(f *testing.F) {
	f.Add("Alice", "alice", "hello", "s1")
	f.Add("<script>x</script>", "u\r\nBcc: x", "<b>bold</b>\n> quote", "a/b?c#d")
	f.Add(strings.Repeat("ü", 300), "", strings.Repeat("x", 5000), "")
	f.Add("\u202e\u2028bidi", "\x00\x7f", "{{.Subject}}", "{session_id}")
	r := mustRenderer(f, "https://admin.example.com/console")
	f.Fuzz(func(t *testing.T, name, user, text, session string) {
		for _, typ := range EventTypes() {
			e, err := Event{Type: typ, SessionID: "s-" + session, UserID: "u-" + user, UserName: name, LastMessage: text, Detail: text, At: renderAt}.check(renderAt)
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.message(Notification{ID: "n", Event: typ}, e, renderAt.Add(time.Hour))
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("%s: subject %q spans lines", typ, m.Subject)
			}
			if smsCost(m.Short) > smsLimit || !utf8.ValidString(m.Short) {
				t.Errorf("%s: SMS %q is %d septets or invalid UTF-8", typ, m.Short, smsCost(m.Short))
			}
			for _, r := range m.Short {
				if septets(r) == 0 {
					t.Errorf("%s: SMS %q holds %q, outside GSM-7", typ, m.Short, r)
				}
			}
			if strings.Contains(text, "<") && strings.Contains(m.HTML, text) {
				t.Errorf("%s: HTML carries the user text unescaped", typ)
			}
		}
	})
}

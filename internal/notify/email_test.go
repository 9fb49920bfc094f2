package notify_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/chatboxhq/chatbox/internal/notify"
)

const (
	smtpUser = "mailer"
	smtpPass = "smtp-secret-password-do-not-log"
)

// parsedMail is a received mail, decoded.
type parsedMail struct {
	Header mail.Header
	Parts  map[string]string // body by media type
}

// parseMail decodes a multipart/alternative mail the way a mail client
// would.
func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read mail: %v\n%s", err, data)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	out := parsedMail{Header: m.Header, Parts: map[string]string{}}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("mail part: %v", err)
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("mail part body: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out.Parts[pt] = string(raw)
	}
	return out
}

// emailRig is a notifier whose email goes to an SMTP fake.
func emailRig(t *testing.T, f *smtpFake, port int, pass string, o notify.Options) (*rig, *notify.EmailSender) {
	t.Helper()
	mode := notify.SMTPStartTLS
	if f.implicit {
		mode = notify.SMTPImplicitTLS
	}
	sender, err := notify.NewEmailSender(notify.EmailConfig{
		Host: "127.0.0.1", Port: port, Username: f.user, Password: pass, TLS: mode,
		From: "Chatbox Alerts <alerts@example.com>", TLSConfig: f.tls.client, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Senders = map[notify.Channel]notify.Sender{notify.Email: sender}
	if o.Settings.Channels == nil {
		o.Settings = notify.Settings{
			Emails: []string{"ops@example.com"}, PanelURL: "https://admin.example.com/console",
			Channels: map[notify.EventType][]notify.Channel{notify.HelpRequested: {notify.Email}},
		}
	}
	return newRig(t, o), sender
}

func TestEmailArrivesWithHeadersBothBodiesAndLink(t *testing.T) {
	f := &smtpFake{t: t, user: smtpUser, pass: smtpPass, tls: newTestTLS(t)}
	f.start("127.0.0.1:0")
	r, _ := emailRig(t, f, f.port(), smtpPass, notify.Options{})
	r.start(t)

	at := time.Date(2025, 6, 1, 12, 30, 0, 0, time.UTC)
	if err := r.n.Notify(t.Context(), help("sess-1", at)); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	eventually(t, "the mail, recorded as sent", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.Email)
		return len(f.Mails()) == 1 && len(s) == 1 && s[0] == notify.Sent
	})

	got := f.Mails()[0]
	if got.From != "alerts@example.com" || len(got.To) != 1 || got.To[0] != "ops@example.com" {
		t.Errorf("envelope from %q to %q", got.From, got.To)
	}
	if !got.TLS || got.User != smtpUser {
		t.Errorf("session TLS=%v user=%q; want STARTTLS and AUTH as %s", got.TLS, got.User, smtpUser)
	}
	m := parseMail(t, got.Data)
	rows := r.rows(t)
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(m.Header.Get("Subject"))
	for name, want := range map[string]string{
		"From":            `"Chatbox Alerts" <alerts@example.com>`,
		"To":              "<ops@example.com>",
		"Message-Id":      "<" + rows[0].ID + "@chatbox.notifications>",
		"Auto-Submitted":  "auto-generated",
		"X-Chatbox-Event": "help_requested",
		"Mime-Version":    "1.0",
	} {
		if got := m.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if subject != "[Chatbox] Help requested by Alice Example" {
		t.Errorf("Subject = %q", subject)
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}

	const link = "https://admin.example.com/console?session=sess-1"
	text, html := m.Parts["text/plain"], m.Parts["text/html"]
	for _, want := range []string{"Alice Example (alice) asked to talk to a human.", "sess-1", "2025-06-01 12:30:00 UTC",
		`> I need a human, please. <b>now</b> & "quickly"`, "Open the session: " + link} {
		if !strings.Contains(text, want) {
			t.Errorf("text body lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`href="` + link + `"`, "I need a human, please. &lt;b&gt;now&lt;/b&gt; &amp; &#34;quickly&#34;", "Alice Example (alice)"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML body lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<b>now</b>") {
		t.Error("the HTML body carries the user's markup unescaped")
	}
	eventually(t, "the send counted", func() bool { return r.count.Get(notify.Email, notify.ResultSent) == 1 })
}

func TestEmailImplicitTLSAndNoTLS(t *testing.T) {
	for _, mode := range []string{notify.SMTPImplicitTLS, notify.SMTPNoTLS} {
		t.Run(mode, func(t *testing.T) {
			f := &smtpFake{t: t, implicit: mode == notify.SMTPImplicitTLS, tls: newTestTLS(t)}
			f.start("127.0.0.1:0")
			s, err := notify.NewEmailSender(notify.EmailConfig{Host: "127.0.0.1", Port: f.port(), TLS: mode,
				From: "alerts@example.com", TLSConfig: f.tls.client, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(t.Context(), notify.Message{ID: "n1", Event: notify.LLMAllFailing, To: "ops@example.com",
				Subject: "s", Text: "t", HTML: "<p>h</p>"})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			mails := f.Mails()
			if len(mails) != 1 || mails[0].TLS != (mode == notify.SMTPImplicitTLS) {
				t.Errorf("mails %+v; want one, encrypted only with implicit TLS", mails)
			}
		})
	}
}

func TestEmailStartTLSRequired(t *testing.T) {
	// A server that does not offer STARTTLS must not get the mail (nor the
	// password) in clear.
	f := &smtpFake{t: t, tls: newTestTLS(t)}
	f.tls.server = nil
	f.start("127.0.0.1:0")
	s, err := notify.NewEmailSender(notify.EmailConfig{Host: "127.0.0.1", Port: f.port(), TLS: notify.SMTPStartTLS,
		Username: smtpUser, Password: smtpPass, From: "alerts@example.com", TLSConfig: f.tls.client})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), notify.Message{ID: "n1", To: "ops@example.com", Subject: "s", Text: "t", HTML: "h"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(f.Mails()) != 0 {
		t.Errorf("Send = %v with %d mails; want a STARTTLS error and nothing sent", err, len(f.Mails()))
	}
}

func TestEmailAuthFailureIsRetriedThenGivenUp(t *testing.T) {
	f := &smtpFake{t: t, user: smtpUser, pass: smtpPass, tls: newTestTLS(t)}
	f.start("127.0.0.1:0")
	o := fast(notify.Options{})
	o.Retry.MaxAttempts = 3
	r, _ := emailRig(t, f, f.port(), "wrong-password-do-not-log", o)
	r.start(t)
	if err := r.n.Notify(t.Context(), help("sess-1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the notification given up", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.Email)
		return len(s) == 1 && s[0] == notify.Failed
	})
	row := r.rows(t)[0]
	if row.Attempts != 3 || !strings.Contains(row.LastError, "535") {
		t.Errorf("row attempts %d, last error %q; want 3 attempts ending in the server's 535", row.Attempts, row.LastError)
	}
	if f.Auths() != 3 || len(f.Mails()) != 0 {
		t.Errorf("server saw %d AUTH attempts and %d mails; want 3 and none", f.Auths(), len(f.Mails()))
	}
	eventually(t, "the failure counted", func() bool { return r.count.Get(notify.Email, notify.ResultFailed) == 1 })
	if r.count.Get(notify.Email, notify.ResultRetry) != 2 {
		t.Errorf("counts %v; want 2 retries, 1 failure", r.count.m)
	}
	retries := r.log.Lines("notification send failed; will retry")
	if len(retries) != 2 || !strings.Contains(retries[0]["reason"].(string), "Authentication failed") {
		t.Errorf("retry log lines %v; want two with the reason", retries)
	}
	if len(r.log.Lines("notification failed; giving up")) != 1 {
		t.Error("no log line for giving up")
	}
	if logs := r.log.String(); strings.Contains(logs, "wrong-password") || strings.Contains(row.LastError, "wrong-password") {
		t.Error("the SMTP password reached the log or the outbox")
	}
}

func TestEmailServerDownThenBackArrivesOnce(t *testing.T) {
	addr := freePort(t)
	f := &smtpFake{t: t, user: smtpUser, pass: smtpPass, tls: newTestTLS(t)}
	o := fast(notify.Options{})
	o.Retry.MaxAttempts = 1000
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	r, _ := emailRig(t, f, port, smtpPass, o)
	r.start(t)

	if err := r.n.Notify(t.Context(), help("sess-down", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "failed attempts while the server is down", func() bool {
		rows := r.rows(t)
		return len(rows) == 1 && rows[0].Attempts >= 3 && strings.Contains(rows[0].LastError, "refused")
	})
	if r.statuses(t, notify.HelpRequested, notify.Email)[0] != notify.Pending {
		t.Fatal("the notification was given up while the server was down")
	}

	f.start(addr) // the server comes back
	eventually(t, "the mail after recovery", func() bool { return len(f.Mails()) >= 1 })

	// A second alert proves the worker went on past the first; by the time
	// it arrives, a duplicate of the first would have too.
	if err := r.n.Notify(t.Context(), help("sess-later", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second mail, recorded as sent", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.Email)
		return len(f.Mails()) >= 2 && len(s) == 2 && s[0] == notify.Sent && s[1] == notify.Sent
	})
	bySession := map[string]int{}
	for _, m := range f.Mails() {
		bySession[parseMail(t, m.Data).Header.Get("X-Chatbox-Session")]++
	}
	if bySession["sess-down"] != 1 || bySession["sess-later"] != 1 {
		t.Errorf("mails by session %v; want exactly one each", bySession)
	}
	eventually(t, "both sends counted", func() bool { return r.count.Get(notify.Email, notify.ResultSent) == 2 })
}

func TestEmailRecipientRefusedIsPermanent(t *testing.T) {
	f := &smtpFake{t: t, tls: newTestTLS(t), rejectRcpt: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}
	f.start("127.0.0.1:0")
	r, _ := emailRig(t, f, f.port(), "", notify.Options{})
	r.start(t)
	if err := r.n.Notify(t.Context(), help("sess-1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.Email)
		return len(s) == 1 && s[0] == notify.Failed
	})
	if row := r.rows(t)[0]; row.Attempts != 1 || !strings.Contains(row.LastError, "550") {
		t.Errorf("row %+v; want given up after one attempt with the 550", row)
	}
	eventually(t, "the failure counted", func() bool { return r.count.Get(notify.Email, notify.ResultFailed) == 1 })
	if r.count.Get(notify.Email, notify.ResultRetry) != 0 {
		t.Error("a permanent refusal was retried")
	}
}

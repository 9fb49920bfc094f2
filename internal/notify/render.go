package notify

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
)

// renderer turns events into the words admins read.
type renderer struct {
	panelURL string
	html     *template.Template
}

// emailHTML is the HTML body. html/template escapes every value by context,
// so a user's name or message cannot inject markup, and the link is
// filtered to safe URL schemes.
const emailHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;color:#222">
<p style="font-size:17px"><strong>{{.Heading}}</strong></p>
<table style="border-collapse:collapse">
{{- range .Facts}}
<tr><td style="padding:2px 12px 2px 0;color:#666">{{.Label}}</td><td style="padding:2px 0">{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .Quote}}
<p style="margin-top:16px;color:#666">{{.QuoteLabel}}</p>
<blockquote style="margin:0;padding:8px 12px;border-left:3px solid #ccc;white-space:pre-wrap">{{.Quote}}</blockquote>
{{- end}}
{{- if .Link}}
<p style="margin-top:20px"><a href="{{.Link}}" style="background:#2563eb;color:#fff;padding:8px 14px;border-radius:4px;text-decoration:none">{{.LinkLabel}}</a></p>
<p style="color:#666;font-size:13px">{{.Link}}</p>
{{- end}}
<p style="margin-top:24px;color:#999;font-size:12px">{{.Footer}}</p>
</body></html>
`

// fact is one labelled line of a notification.
type fact struct{ Label, Value string }

// content is a notification before it is laid out for a channel.
type content struct {
	Subject    string
	Heading    string
	Facts      []fact
	QuoteLabel string
	Quote      string
	Link       string
	LinkLabel  string
	Footer     string
	Short      string // the SMS text
}

func newRenderer(panelURL string) (*renderer, error) {
	t, err := template.New("email").Parse(emailHTML)
	if err != nil {
		return nil, fmt.Errorf("parse email template: %w", err)
	}
	return &renderer{panelURL: panelURL, html: t}, nil
}

// link returns the admin console URL of a session: ADMIN_PANEL_URL with
// {session_id} replaced, or with ?session=<id> added.
func (r *renderer) link(sessionID string) string {
	if r.panelURL == "" || sessionID == "" {
		return ""
	}
	if strings.Contains(r.panelURL, "{session_id}") {
		return strings.ReplaceAll(r.panelURL, "{session_id}", url.PathEscape(sessionID))
	}
	u, err := url.Parse(r.panelURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("session", sessionID)
	u.RawQuery = q.Encode()
	return u.String()
}

// message renders event e for the outbox row n, at now.
func (r *renderer) message(n Notification, e Event, now time.Time) (Message, error) {
	c := r.content(e, now)
	var html strings.Builder
	if err := r.html.Execute(&html, c); err != nil {
		return Message{}, fmt.Errorf("render email: %w", err)
	}
	return Message{
		ID: n.ID, Event: n.Event, Channel: n.Channel, To: n.Recipient,
		SessionID: e.SessionID, UserID: e.UserID,
		Subject: c.Subject, Text: plainText(c), HTML: html.String(), Short: c.Short, Link: c.Link,
	}, nil
}

// plainText lays content out as the text/plain body.
func plainText(c content) string {
	var b strings.Builder
	b.WriteString(c.Heading + "\n\n")
	width := 0
	for _, f := range c.Facts {
		width = max(width, len(f.Label))
	}
	for _, f := range c.Facts {
		fmt.Fprintf(&b, "%-*s  %s\n", width+1, f.Label+":", f.Value)
	}
	if c.Quote != "" {
		b.WriteString("\n" + c.QuoteLabel + "\n")
		for _, line := range strings.Split(c.Quote, "\n") {
			b.WriteString("> " + strings.TrimRight(line, "\r") + "\n")
		}
	}
	if c.Link != "" {
		b.WriteString("\n" + c.LinkLabel + ": " + c.Link + "\n")
	}
	b.WriteString("\n-- \n" + c.Footer + "\n")
	return b.String()
}

// clock formats a time for admins: UTC, to the second.
func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// waited renders a duration in whole minutes, at least one.
func waited(d time.Duration) string {
	m := max(int(d/time.Minute), 1)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// content decides what to say about e.
func (r *renderer) content(e Event, now time.Time) content {
	const footer = "Sent by Chatbox to the admins in ADMIN_EMAILS / ADMIN_PHONES."
	who := oneLine(e.UserID, 80)
	if name := oneLine(e.UserName, 80); name != "" && name != who {
		who = name + " (" + who + ")"
	}
	c := content{Footer: footer, Link: r.link(e.SessionID), LinkLabel: "Open the session"}
	switch e.Type {
	case HelpRequested, HelpReminder:
		c.Facts = []fact{{"User", who}, {"Session", e.SessionID}, {"Asked at", clock(e.At)}}
		c.QuoteLabel, c.Quote = "Their last message:", e.LastMessage
		name := oneLine(firstNonEmpty(e.UserName, e.UserID), 80)
		if e.Type == HelpRequested {
			c.Subject = "[Chatbox] Help requested by " + name
			c.Heading = who + " asked to talk to a human."
			c.Short = fitSMS(name, func(n string, withLink bool) string {
				return "Chatbox: " + n + " asked for a human." + linkSuffix(c.Link, withLink)
			})
		} else {
			wait := waited(now.Sub(e.At))
			c.Subject = "[Chatbox] Still waiting for a human: " + name + " (" + wait + ")"
			c.Heading = who + " has been waiting " + wait + " for a human. Nobody has answered yet."
			c.Short = fitSMS(name, func(n string, withLink bool) string {
				return "Chatbox: " + n + " has waited " + wait + " for a human, unanswered." + linkSuffix(c.Link, withLink)
			})
		}
	case LLMAllFailing:
		c.Subject = "[Chatbox] Every LLM request is failing"
		c.Heading = "Every LLM request has failed since " + clock(e.At) + ". Users get no AI replies."
		c.Facts = []fact{{"Failing since", clock(e.At)}, {"Reported at", clock(now)}}
		c.QuoteLabel, c.Quote = "Last error:", e.Detail
		c.Link = ""
		c.Short = cutSMS(gsmSafe("Chatbox: every LLM request failing since " + e.At.UTC().Format("15:04 UTC") + ". Users get no AI replies."))
	case StorageUnreachable:
		c.Subject = "[Chatbox] Storage unreachable"
		c.Heading = "Chatbox has not reached its storage since " + clock(e.At) + ". Users cannot chat."
		c.Facts = []fact{{"Unreachable since", clock(e.At)}, {"Reported at", clock(now)}}
		c.QuoteLabel, c.Quote = "Last error:", e.Detail
		c.Link = ""
		c.Short = cutSMS(gsmSafe("Chatbox: storage unreachable since " + e.At.UTC().Format("15:04 UTC") + ". Users cannot chat."))
	}
	return c
}

func linkSuffix(link string, with bool) string {
	if !with || link == "" {
		return ""
	}
	return " " + link
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

package notify

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// EventType names what happened.
type EventType string

// Event types. The names appear in config keys (NOTIFY_<TYPE>_CHANNELS),
// logs and the outbox.
const (
	// HelpRequested: a user asked for a human.
	HelpRequested EventType = "help_requested"
	// HelpReminder: a help request is still unanswered after the reminder
	// delay. Notify schedules it with every HelpRequested; Resolve cancels it.
	HelpReminder EventType = "help_reminder"
	// LLMAllFailing: every LLM request has been failing for a while.
	LLMAllFailing EventType = "llm_all_failing"
	// StorageUnreachable: storage has been unreachable for a while.
	StorageUnreachable EventType = "storage_unreachable"
)

// EventTypes lists every event type.
func EventTypes() []EventType {
	return []EventType{HelpRequested, HelpReminder, LLMAllFailing, StorageUnreachable}
}

// aboutSession reports whether events of the type concern one session.
func (t EventType) aboutSession() bool { return t == HelpRequested || t == HelpReminder }

func (t EventType) valid() bool {
	switch t {
	case HelpRequested, HelpReminder, LLMAllFailing, StorageUnreachable:
		return true
	}
	return false
}

// Event is one occurrence to tell admins about.
type Event struct {
	Type EventType
	// Key identifies the occurrence: Notify calls with the same Type and Key,
	// from any instance, produce one notification. Empty: derived from
	// SessionID and At, so instances reporting the same help request (same
	// session, same request time) agree without coordinating.
	Key string
	// SessionID and UserID are required for help events.
	SessionID string
	UserID    string
	UserName  string // display name; optional
	// LastMessage is the user's last message, quoted in email (never in SMS
	// or logs). It is stored encrypted until sent.
	LastMessage string
	// Detail explains an outage (the last error); optional.
	Detail string
	// At is when it happened; zero means now. For a help request, pass the
	// time the request was recorded (Session.HelpRequestedAt).
	At time.Time
}

// ErrInvalidEvent is returned by Notify for an event it cannot send.
var ErrInvalidEvent = errors.New("notify: invalid event")

// check validates e and fills its defaults.
func (e Event) check(now time.Time) (Event, error) {
	if !e.Type.valid() {
		return e, fmt.Errorf("%w: unknown type %q", ErrInvalidEvent, e.Type)
	}
	if e.Type.aboutSession() && (e.SessionID == "" || e.UserID == "") {
		return e, fmt.Errorf("%w: %s needs a session id and a user id", ErrInvalidEvent, e.Type)
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	if e.Key == "" {
		e.Key = e.SessionID + "@" + strconv.FormatInt(e.At.UnixMilli(), 10)
	}
	e.LastMessage = clip(e.LastMessage, maxQuoted)
	e.Detail = clip(e.Detail, maxQuoted)
	return e, nil
}

// maxQuoted bounds the user text and error details an alert carries: enough
// to judge urgency, the rest is one click away.
const maxQuoted = 2000

// clip shortens s to at most n bytes at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

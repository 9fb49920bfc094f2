package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Notifier records alerts in the outbox (Notify) and, through its Worker,
// sends them. It is safe for concurrent use; every instance of Chatbox has
// one, all sharing the outbox.
type Notifier struct {
	opts     Options
	outbox   Outbox
	sealer   Sealer
	settings Settings
	senders  map[Channel]Sender
	render   *renderer
	log      *slog.Logger
	now      func() time.Time
	count    func(Channel, string)
	// wake nudges this instance's workers when Notify stored something, so
	// an alert raised here goes out without waiting for the next poll.
	wake chan struct{}

	// direct remembers, per outage type, when this instance last sent an
	// alert around the outbox (see sendDirect).
	directMu sync.Mutex
	direct   map[EventType]time.Time
}

// New returns a Notifier. It logs, once, which channels are live and to how
// many recipients, so an operator can see what to expect.
func New(opts Options) (*Notifier, error) {
	if opts.Outbox == nil || opts.Sealer == nil {
		return nil, errors.New("notify: an outbox and a sealer are required")
	}
	opts = opts.withDefaults()
	r, err := newRenderer(opts.Settings.PanelURL)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	senders := map[Channel]Sender{Log: logSender{opts.Logger}}
	for ch, s := range opts.Senders {
		if s != nil && ch != Log {
			senders[ch] = s
		}
	}
	n := &Notifier{
		opts: opts, outbox: opts.Outbox, sealer: opts.Sealer, settings: opts.Settings,
		senders: senders, render: r, log: opts.Logger, now: opts.Now, count: opts.Count,
		wake: make(chan struct{}, 1), direct: map[EventType]time.Time{},
	}
	n.log.Info("notifications ready",
		"email", n.live(Email), "email_recipients", len(n.settings.Emails),
		"sms", n.live(SMS), "sms_recipients", len(n.settings.Phones),
		"reminder_after", n.settings.ReminderAfter, "help_rate_limit", n.settings.HelpRateLimit)
	if !n.live(Email) && !n.live(SMS) {
		n.log.Warn("no email or SMS configured for notifications: alerts are written to this log only (set SMTP_HOST and ADMIN_EMAILS, or SMS_* and ADMIN_PHONES)")
	}
	return n, nil
}

// live reports whether ch can deliver: a sender and someone to send to.
func (n *Notifier) live(ch Channel) bool {
	if n.senders[ch] == nil {
		return false
	}
	return len(n.recipients(ch)) > 0
}

func (n *Notifier) recipients(ch Channel) []string {
	switch ch {
	case Email:
		return n.settings.Emails
	case SMS:
		return n.settings.Phones
	case Log:
		return []string{""}
	}
	return nil
}

// Notify records e in the outbox for delivery by a worker, and returns once
// it is stored. A duplicate (same Type and Key) or a rate-limited event is
// not an error: it is counted and logged, and nothing more is sent. A
// HelpRequested event also schedules its reminder (see Resolve).
//
// For StorageUnreachable, which the outbox cannot store when storage is the
// thing that failed, Notify falls back to sending at once from this
// instance (at most once per OutageRateLimit per instance).
func (n *Notifier) Notify(ctx context.Context, e Event) error {
	now := n.now()
	e, err := e.check(now)
	if err != nil {
		return err
	}
	batch, limit, err := n.plan(e)
	if err != nil {
		return fmt.Errorf("notify %s: %w", e.Type, err)
	}
	res, err := n.outbox.Enqueue(ctx, now, batch, limit)
	if err != nil {
		if e.Type == StorageUnreachable {
			return n.sendDirect(ctx, e, batch, err)
		}
		return fmt.Errorf("notify %s: %w", e.Type, err)
	}
	switch {
	case res.Limited:
		n.countAll(batch, ResultRateLimited)
		n.log.Info("notification rate-limited", "event", e.Type, "session_id", e.SessionID, "scope", limit.Scope, "window", limit.Window)
	case res.Stored == 0:
		n.countAll(batch, ResultDeduplicated)
		n.log.Debug("notification already recorded", "event", e.Type, "session_id", e.SessionID, "key", e.Key)
	default:
		n.log.Info("notification queued", "event", e.Type, "session_id", e.SessionID, "user_id", e.UserID,
			"rows", res.Stored, "duplicates", res.Duplicates)
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (n *Notifier) countAll(batch []Notification, result string) {
	for _, row := range batch {
		n.count(row.Channel, result)
	}
}

// plan turns e into outbox rows, one per channel and recipient, plus its
// rate limit.
func (n *Notifier) plan(e Event) ([]Notification, *RateLimit, error) {
	var limit *RateLimit
	switch {
	case e.Type == HelpRequested && n.settings.HelpRateLimit > 0:
		limit = &RateLimit{Scope: helpLimitScope(e), Window: n.settings.HelpRateLimit}
	case (e.Type == LLMAllFailing || e.Type == StorageUnreachable) && n.settings.OutageRateLimit > 0:
		limit = &RateLimit{Scope: string(e.Type), Window: n.settings.OutageRateLimit}
	}
	rows, err := n.rows(e, e.At)
	if err != nil {
		return nil, nil, err
	}
	if e.Type == HelpRequested && n.settings.ReminderAfter > 0 {
		reminder := e
		reminder.Type = HelpReminder
		more, err := n.rows(reminder, e.At.Add(n.settings.ReminderAfter))
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, more...)
	}
	return rows, limit, nil
}

// rows makes the rows of one event, due at due.
func (n *Notifier) rows(e Event, due time.Time) ([]Notification, error) {
	var channels []Channel
	for _, ch := range n.settings.Channels[e.Type] {
		if ch != Log && n.live(ch) && !slices.Contains(channels, ch) {
			channels = append(channels, ch)
		}
	}
	if len(channels) == 0 {
		channels = []Channel{Log}
	}
	var out []Notification
	for _, ch := range channels {
		for _, to := range n.recipients(ch) {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, fmt.Errorf("new id: %w", err)
			}
			row := Notification{
				ID:            id.String(),
				Key:           string(e.Type) + "/" + e.Key + "/" + string(ch) + "/" + to,
				Event:         e.Type,
				Channel:       ch,
				Recipient:     to,
				SessionID:     e.SessionID,
				NextAttemptAt: due,
			}
			if row.Payload, err = sealEvent(n.sealer, row.ID, e); err != nil {
				return nil, err
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// helpScope is the rate limit scope of one session's help alerts, which
// events without a user id are limited by (and which older versions used
// for every help alert; erasure still removes it).
func helpScope(sessionID string) string { return string(HelpRequested) + "/" + sessionID }

// helpUserScope is the rate limit scope of all help alerts of one user.
func helpUserScope(userID string) string { return string(HelpRequested) + "/user/" + userID }

// helpLimitScope is the scope a help alert is rate-limited in: its user's,
// across all of the user's sessions, so opening session after session and
// asking for a human in each pages the admins once per window, not once
// per session. The outbox keeps the window in storage, so the limit holds
// across instances: a burst of requests, wherever it lands, collapses into
// the first one's alert (and its reminder). Later requests still mark
// their sessions as waiting for help in the admin console.
func helpLimitScope(e Event) string {
	if e.UserID == "" {
		return helpScope(e.SessionID)
	}
	return helpUserScope(e.UserID)
}

// Resolve tells the notifier that the help request of userID's session has
// been answered (an admin took the session over or replied): its reminder
// and any help alert not yet sent are canceled, and the user's help rate
// limit is lifted, so the user's next request alerts admins again. The
// takeover code calls it; calling it when nothing waits is harmless.
func (n *Notifier) Resolve(ctx context.Context, sessionID, userID string) error {
	scopes := []string{helpScope(sessionID)}
	if userID != "" {
		scopes = append(scopes, helpUserScope(userID))
	}
	canceled, err := n.outbox.Cancel(ctx, sessionID, []EventType{HelpRequested, HelpReminder}, scopes, n.now())
	if err != nil {
		return fmt.Errorf("notify: resolve session %s: %w", sessionID, err)
	}
	if canceled > 0 {
		n.log.Info("help notifications canceled: the request was answered", "session_id", sessionID, "canceled", canceled)
	}
	return nil
}

// LLMAllFailing alerts admins that every LLM request has been failing since
// since; detail is the last error. LLMDetector calls it.
func (n *Notifier) LLMAllFailing(ctx context.Context, since time.Time, detail string) error {
	return n.Notify(ctx, Event{Type: LLMAllFailing, At: since, Detail: detail})
}

// StorageUnreachable alerts admins that storage has been unreachable since
// since; detail is the last error. The worker's storage check calls it.
func (n *Notifier) StorageUnreachable(ctx context.Context, since time.Time, detail string) error {
	return n.Notify(ctx, Event{Type: StorageUnreachable, At: since, Detail: detail})
}

// Recent returns the newest notifications for the admin view: what was
// sent, what is waiting and why the last attempt failed. Payloads (user
// text) are left out.
func (n *Notifier) Recent(ctx context.Context, limit int) ([]Notification, error) {
	rows, err := n.outbox.List(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: recent: %w", err)
	}
	for i := range rows {
		rows[i].Payload = nil
	}
	return rows, nil
}

// sendDirect delivers an outage alert without the outbox, which could not
// store it (storage itself is down). Each instance sends at most one such
// alert per outage type and OutageRateLimit, since the shared rate limit
// is out of reach too.
func (n *Notifier) sendDirect(ctx context.Context, e Event, batch []Notification, enqueueErr error) error {
	now := n.now()
	n.directMu.Lock()
	last, seen := n.direct[e.Type]
	if seen && n.settings.OutageRateLimit > 0 && now.Sub(last) < n.settings.OutageRateLimit {
		n.directMu.Unlock()
		n.countAll(batch, ResultRateLimited)
		return nil
	}
	n.direct[e.Type] = now
	n.directMu.Unlock()

	n.log.Error("notification outbox unavailable: sending the alert directly", "event", e.Type, "err", enqueueErr)
	var errs []error
	for _, row := range batch {
		if err := n.deliver(ctx, row, e); err != nil {
			n.count(row.Channel, ResultFailed)
			n.log.Error("notification failed", "event", e.Type, "channel", row.Channel, "to", row.Recipient, "err", err)
			errs = append(errs, err)
			continue
		}
		n.count(row.Channel, ResultSent)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("notify %s: outbox: %v; direct send: %w", e.Type, enqueueErr, err)
	}
	return nil
}

// deliver renders e for row and hands it to the row's sender, within the
// send timeout. A row whose channel has no sender any more (the config
// changed since it was queued) goes to the log rather than nowhere.
func (n *Notifier) deliver(ctx context.Context, row Notification, e Event) error {
	sender := n.senders[row.Channel]
	if sender == nil {
		sender = n.senders[Log]
	}
	msg, err := n.render.message(row, e, n.now())
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.SendTimeout)
	defer cancel()
	return sender.Send(ctx, msg)
}

package notify

import (
	"context"
	"log/slog"
	"time"
)

// Settings say who hears about what.
type Settings struct {
	Emails   []string // admin addresses, for the Email sender
	Phones   []string // admin E.164 numbers, for the SMS sender
	PanelURL string   // ADMIN_PANEL_URL; "" for no links
	// Channels lists, per event type, the channels switched on for it. A
	// channel is used only if its sender is configured and it has
	// recipients; an event left with none is logged (channel Log).
	Channels map[EventType][]Channel

	// ReminderAfter schedules a HelpReminder that long after every
	// HelpRequested; 0 schedules none.
	ReminderAfter time.Duration
	// HelpRateLimit is the shortest interval between two HelpRequested
	// alerts of one user, whichever sessions and instances the requests
	// come from (0: no limit). Reminders are not limited, but a limited
	// request schedules none.
	HelpRateLimit time.Duration
	// OutageRateLimit is the shortest interval between two alerts of one
	// outage type (LLMAllFailing, StorageUnreachable); 0: no limit.
	OutageRateLimit time.Duration
	// LLMFailingAfter and StorageUnreachableAfter are how long failures
	// must last before the detectors (see LLMDetector, Options.StorageCheck)
	// report an outage.
	LLMFailingAfter         time.Duration
	StorageUnreachableAfter time.Duration
}

// Retry is the backoff of failed sends: attempt n waits Base*2^(n-1), at
// most Max, spread by up to a fifth either way so instances that failed
// together do not retry in lockstep. A notification that failed
// MaxAttempts times is given up.
type Retry struct {
	Base        time.Duration
	Max         time.Duration
	MaxAttempts int
}

// Options configure a Notifier. Outbox and Sealer are required.
type Options struct {
	Outbox   Outbox
	Sealer   Sealer
	Settings Settings
	// Senders by channel (Email, SMS). A missing channel is off; Log is
	// built in and writes to Logger.
	Senders map[Channel]Sender
	Logger  *slog.Logger // nil: slog.Default()
	// Count is called once per outcome: channel and one of the Result
	// constants. nil: not counted.
	Count func(channel Channel, result string)
	// Now is the clock; nil: time.Now.
	Now func() time.Time

	// Worker tuning; zero values take the defaults in brackets.
	Retry        Retry         // [5s, 10m, 12 attempts: about an hour]
	PollInterval time.Duration // how often an idle worker looks for due rows [1s]
	Lease        time.Duration // how long a claimed row is reserved [2m]
	SendTimeout  time.Duration // longest one send may take; keep it well under Lease [30s]
	BatchSize    int           // rows claimed at once, sent concurrently [8]
	Retention    time.Duration // settled rows are kept this long for the admin view [7 days]

	// StorageCheck, if set, is called every StorageCheckEvery [10s] by the
	// worker; failing for Settings.StorageUnreachableAfter raises a
	// StorageUnreachable alert.
	StorageCheck      func(ctx context.Context) error
	StorageCheckEvery time.Duration
}

// Results counted through Options.Count (the result label of
// chatbox_notifications_total).
const (
	ResultSent         = "sent"         // the channel accepted it
	ResultRetry        = "retry"        // an attempt failed; it will be tried again
	ResultFailed       = "failed"       // given up
	ResultRateLimited  = "rate_limited" // not stored: the rate limit refused it
	ResultDeduplicated = "deduplicated" // not stored: already in the outbox
)

// withDefaults fills the zero tuning values.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Retry.Base, 5*time.Second)
	def(&o.Retry.Max, 10*time.Minute)
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = 12
	}
	def(&o.PollInterval, time.Second)
	def(&o.Lease, 2*time.Minute)
	def(&o.SendTimeout, 30*time.Second)
	if o.BatchSize <= 0 {
		o.BatchSize = 8
	}
	def(&o.Retention, 7*24*time.Hour)
	def(&o.StorageCheckEvery, 10*time.Second)
	def(&o.Settings.LLMFailingAfter, 2*time.Minute)
	def(&o.Settings.StorageUnreachableAfter, time.Minute)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Count == nil {
		o.Count = func(Channel, string) {}
	}
	return o
}

package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/notify"
)

const (
	// hookTimeout bounds recording an alert from a chat hook, which runs in
	// the request that raised it.
	hookTimeout = 5 * time.Second
	// notifierStopTimeout is how long Close lets sends in progress finish;
	// what is cut off is retried by another instance, or after a restart.
	notifierStopTimeout = 5 * time.Second
)

// openNotifier builds the instance's notifier on the outbox of the storage
// opened before, with the channels NOTIFY settings configure. Its worker
// starts with startNotifier, once the App is complete.
func (a *App) openNotifier(sealer notify.Sealer) error {
	if a.outbox == nil {
		return errors.New("notifications: the storage adapter provides no notification outbox (notify.Outbox); alerts could not be stored")
	}
	cfg := a.cfg.Notify
	senders := map[notify.Channel]notify.Sender{}
	if cfg.SMTP.Host != "" {
		email, err := notify.NewEmailSender(notify.EmailConfig{
			Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.User, Password: cfg.SMTP.Password,
			TLS: cfg.SMTP.TLS, From: cfg.SMTP.From,
		})
		if err != nil {
			return fmt.Errorf("SMTP_HOST: %w", err)
		}
		senders[notify.Email] = email
	}
	if cfg.SMS.AccountSID != "" {
		sms, err := notify.NewTwilioSender(notify.TwilioConfig{
			AccountSID: cfg.SMS.AccountSID, AuthToken: cfg.SMS.AuthToken, From: cfg.SMS.FromNumber,
		})
		if err != nil {
			return fmt.Errorf("SMS_ACCOUNT_SID: %w", err)
		}
		senders[notify.SMS] = sms
	}
	n, err := notify.New(notify.Options{
		Outbox:   a.outbox,
		Sealer:   sealer,
		Settings: notifySettings(cfg),
		Senders:  senders,
		Logger:   a.log,
		Count: func(ch notify.Channel, result string) {
			a.metrics.Notifications.WithLabelValues(string(ch), result).Inc()
		},
		StorageCheck: a.repo.Ping,
	})
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	a.notifier = n
	return nil
}

// notifySettings translates the configuration into the notifier's terms.
func notifySettings(cfg config.Notify) notify.Settings {
	channels := map[notify.EventType][]notify.Channel{}
	for _, ev := range notify.EventTypes() {
		for _, ch := range cfg.Channels[string(ev)] {
			channels[ev] = append(channels[ev], notify.Channel(ch))
		}
	}
	return notify.Settings{
		Emails:                  cfg.AdminEmails,
		Phones:                  cfg.AdminPhones,
		PanelURL:                cfg.AdminPanelURL,
		Channels:                channels,
		ReminderAfter:           cfg.HelpReminderAfter,
		HelpRateLimit:           cfg.HelpRateLimit,
		OutageRateLimit:         cfg.OutageRateLimit,
		LLMFailingAfter:         cfg.LLMFailingAfter,
		StorageUnreachableAfter: cfg.StorageUnreachableAfter,
	}
}

// startNotifier runs the notification worker until Close, which gives
// sends in progress a moment to finish.
func (a *App) startNotifier() {
	w := a.notifier.Start()
	a.closers = append(a.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), notifierStopTimeout)
		defer cancel()
		w.Stop(ctx)
	})
}

// Notifier is the instance's notifier: Notify raises an alert, Resolve
// withdraws the reminder of an answered help request, Recent lists what was
// sent for the admin view.
func (a *App) Notifier() *notify.Notifier { return a.notifier }

// helpRequested is the chat HelpRequested hook: it records the alert (and
// its reminder) before the user's request returns. The request time is the
// dedupe key, so a repeated hook call cannot alert twice.
func (a *App) helpRequested(s chat.Session, lastMessage string) {
	ctx, cancel := context.WithTimeout(context.Background(), hookTimeout)
	defer cancel()
	err := a.notifier.Notify(ctx, notify.Event{
		Type: notify.HelpRequested, SessionID: s.ID, UserID: s.UserID, UserName: s.UserName,
		LastMessage: lastMessage, At: s.HelpRequestedAt,
	})
	if err != nil {
		a.log.Error("help request alert not recorded", "session_id", s.ID, "err", err)
	}
}

// helpAnswered is the chat HelpAnswered hook: the reminder is withdrawn.
func (a *App) helpAnswered(s chat.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), hookTimeout)
	defer cancel()
	if err := a.notifier.Resolve(ctx, s.ID, s.UserID); err != nil {
		a.log.Error("help request reminder not withdrawn", "session_id", s.ID, "err", err)
	}
}

// watchModels reports every model's replies to one LLM outage detector, so
// admins hear when no model has answered for NOTIFY_LLM_FAILING_AFTER.
func (a *App) watchModels(models []chat.Model) []chat.Model {
	d := a.notifier.LLMDetector()
	out := make([]chat.Model, len(models))
	for i, m := range models {
		m.Provider = watchedProvider{Provider: m.Provider, outages: d}
		out[i] = m
	}
	return out
}

// watchedProvider passes a provider's outcomes to an outage detector.
type watchedProvider struct {
	chat.Provider
	outages *notify.OutageDetector
}

// Available passes on whether the wrapped provider can answer now, which
// chat.Service.Models reports to clients; a provider that cannot tell is
// taken as available.
func (p watchedProvider) Available() bool {
	if a, ok := p.Provider.(interface{ Available() bool }); ok {
		return a.Available()
	}
	return true
}

// Stream streams from the provider and records whether it answered. A
// reply stopped by its caller (the user left, an admin took over) says
// nothing about the provider and is not recorded.
func (p watchedProvider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	c, err := p.Provider.Stream(ctx, req, emit)
	if !errors.Is(err, context.Canceled) && !errors.Is(ctx.Err(), context.Canceled) {
		p.outages.Observe(ctx, err)
	}
	return c, err
}

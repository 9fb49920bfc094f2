package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
)

// recorder is a Sender that keeps what it is given. The transports are
// tested against real protocols elsewhere; here only the routing matters.
type recorder struct {
	mu  sync.Mutex
	got []notify.Message
}

func (r *recorder) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	return nil
}

// Of returns the messages of event ev for session sid ("" for any).
func (r *recorder) Of(ev notify.EventType, sid string) []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notify.Message
	for _, m := range r.got {
		if m.Event == ev && (sid == "" || m.SessionID == sid) {
			out = append(out, m)
		}
	}
	return out
}

func TestNothingConfiguredLogsEveryAlert(t *testing.T) {
	s := allSettings()
	r := newRig(t, notify.Options{Settings: s}) // channels switched on, but no senders
	r.start(t)
	if len(r.log.Lines("no email or SMS configured for notifications: alerts are written to this log only (set SMTP_HOST and ADMIN_EMAILS, or SMS_* and ADMIN_PHONES)")) != 1 {
		t.Error("no start-up warning that alerts only go to the log")
	}
	if err := r.n.Notify(t.Context(), help("sess-1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the log line", func() bool { return len(r.log.Lines("admin notification")) == 1 })
	line := r.log.Lines("admin notification")[0]
	for k, want := range map[string]string{
		"level": "WARN", "event": "help_requested", "session_id": "sess-1", "user_id": "alice",
		"subject": "[Chatbox] Help requested by Alice Example", "link": "https://admin.example.com/console?session=sess-1",
	} {
		if line[k] != want {
			t.Errorf("log field %s = %v, want %q", k, line[k], want)
		}
	}
	if strings.Contains(r.log.String(), "I need a human") {
		t.Error("the user's message reached the log")
	}
	eventually(t, "the row recorded as sent", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.Log)
		return len(s) == 1 && s[0] == notify.Sent
	})
	eventually(t, "the send counted", func() bool { return r.count.Get(notify.Log, notify.ResultSent) == 1 })
}

func TestInvalidEventsRefused(t *testing.T) {
	r := newRig(t, notify.Options{})
	for _, e := range []notify.Event{
		{Type: "pager_duty"},
		{Type: notify.HelpRequested, UserID: "alice"},
		{Type: notify.HelpReminder, SessionID: "s"},
	} {
		if err := r.n.Notify(t.Context(), e); !errors.Is(err, notify.ErrInvalidEvent) {
			t.Errorf("Notify(%+v) = %v, want ErrInvalidEvent", e, err)
		}
	}
	if _, err := notify.New(notify.Options{}); err == nil {
		t.Error("New without an outbox succeeded")
	}
}

// TestHelpRateLimitPerUser: one user's help requests page admins at most
// once per window, whichever session they come from, so a burst over many
// sessions collapses into the first alert; other users are not held back,
// and an admin's answer lifts the limit.
func TestHelpRateLimitPerUser(t *testing.T) {
	clock := newFakeClock()
	s := allSettings()
	s.Channels[notify.HelpRequested] = []notify.Channel{notify.Email}
	rec := &recorder{}
	r := newRig(t, notify.Options{Settings: s, Now: clock.Now, Senders: map[notify.Channel]notify.Sender{notify.Email: rec}})
	t0 := clock.Now()
	bob := func(sid string, at time.Time) notify.Event { e := help(sid, at); e.UserID = "bob"; return e }

	steps := []struct {
		name    string
		advance time.Duration
		resolve string // session whose request an admin answers first
		ev      notify.Event
		stored  bool
	}{
		{"first request", 0, "", help("s1", t0), true},
		{"same request again", time.Second, "", help("s1", t0), false},
		{"new request within 5 minutes", 4 * time.Minute, "", help("s1", t0.Add(4*time.Minute)), false},
		{"the same user's other session", 0, "", help("s2", t0.Add(4*time.Minute)), false},
		{"and a third one", 0, "", help("s3", t0.Add(4*time.Minute)), false},
		{"another user", 0, "", bob("b1", t0.Add(4*time.Minute)), true},
		{"after 5 minutes", time.Minute, "", help("s2", t0.Add(5*time.Minute)), true},
		{"within the window, after an admin answered", time.Minute, "s2", help("s4", t0.Add(6*time.Minute)), true},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.resolve != "" {
			if err := r.n.Resolve(t.Context(), st.resolve, "alice"); err != nil {
				t.Fatal(err)
			}
		}
		before := len(r.rows(t))
		if err := r.n.Notify(t.Context(), st.ev); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if stored := len(r.rows(t)) > before; stored != st.stored {
			t.Errorf("%s: stored = %v, want %v", st.name, stored, st.stored)
		}
	}
	if r.count.Get(notify.Email, notify.ResultDeduplicated) != 1 || r.count.Get(notify.Email, notify.ResultRateLimited) != 3 {
		t.Errorf("counts %v; want one deduplicated, three rate-limited", r.count.m)
	}
}

func TestReminderEscalatesToSMSUnlessResolved(t *testing.T) {
	clock := newFakeClock()
	s := allSettings()
	s.Channels[notify.HelpRequested] = []notify.Channel{notify.Email}
	s.ReminderAfter = 10 * time.Minute
	email, text := &recorder{}, &recorder{}
	r := newRig(t, notify.Options{Settings: s, Now: clock.Now,
		Senders: map[notify.Channel]notify.Sender{notify.Email: email, notify.SMS: text}})
	r.start(t)

	if err := r.n.Notify(t.Context(), help("waiting", clock.Now())); err != nil {
		t.Fatal(err)
	}
	// Another user: the same user's second request would be rate-limited.
	answered := help("answered", clock.Now())
	answered.UserID = "bob"
	if err := r.n.Notify(t.Context(), answered); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the help alerts by email", func() bool { return len(email.Of(notify.HelpRequested, "")) == 2 })
	if got := text.Of(notify.HelpRequested, ""); len(got) != 0 {
		t.Errorf("help alerts went by SMS too: %v", got)
	}
	if err := r.n.Resolve(t.Context(), "answered", "bob"); err != nil {
		t.Fatal(err)
	}
	for _, row := range r.rows(t) {
		if row.Event == notify.HelpReminder && row.SessionID == "answered" && row.Status != notify.Canceled {
			t.Errorf("reminder of the answered session is %s, want canceled", row.Status)
		}
	}

	clock.Advance(10 * time.Minute)
	eventually(t, "the reminder by email and SMS", func() bool {
		return len(email.Of(notify.HelpReminder, "waiting")) == 1 && len(text.Of(notify.HelpReminder, "waiting")) == 1
	})
	sms := text.Of(notify.HelpReminder, "waiting")[0]
	if want := "Chatbox: Alice Example has waited 10 minutes for a human, unanswered. https://admin.example.com/console?session=waiting"; sms.Short != want {
		t.Errorf("reminder SMS %q, want %q", sms.Short, want)
	}
	if subject := email.Of(notify.HelpReminder, "waiting")[0].Subject; subject != "[Chatbox] Still waiting for a human: Alice Example (10 minutes)" {
		t.Errorf("reminder subject %q", subject)
	}

	// A later alert is sent after any due reminder of the answered session
	// would have been: none was.
	if err := r.n.LLMAllFailing(t.Context(), clock.Now(), "boom"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the later alert", func() bool { return len(email.Of(notify.LLMAllFailing, "")) == 1 })
	if got := append(email.Of(notify.HelpReminder, "answered"), text.Of(notify.HelpReminder, "answered")...); len(got) != 0 {
		t.Errorf("the answered session got reminders: %v", got)
	}

	// Resolve lifted the answered session's rate limit: a new request
	// alerts at once.
	if err := r.n.Notify(t.Context(), help("answered", clock.Now())); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new request's alert", func() bool { return len(email.Of(notify.HelpRequested, "answered")) == 2 })
}

func TestDedupeAcrossTwoInstancesSharingStorage(t *testing.T) {
	path := dbPath(t)
	mailer := &smtpFake{t: t, user: smtpUser, pass: smtpPass, tls: newTestTLS(t)}
	mailer.start("127.0.0.1:0")
	twilio := newTwilioFake(t)
	settings := allSettings()
	settings.ReminderAfter = 0

	instance := func() *rig {
		email, err := notify.NewEmailSender(notify.EmailConfig{Host: "127.0.0.1", Port: mailer.port(), Username: smtpUser, Password: smtpPass,
			TLS: notify.SMTPStartTLS, From: "alerts@example.com", TLSConfig: mailer.tls.client})
		if err != nil {
			t.Fatal(err)
		}
		text, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: testFrom, BaseURL: twilio.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, notify.Options{Outbox: openOutbox(t, path), Settings: settings,
			Senders: map[notify.Channel]notify.Sender{notify.Email: email, notify.SMS: text}})
		r.start(t)
		return r
	}
	a, b := instance(), instance()

	// Both instances see the same help request (same session, same request
	// time) several times, and the same storage outage from their own
	// start times, all at once.
	requested := time.Now().Add(-time.Second)
	var wg sync.WaitGroup
	for i := range 10 {
		r := []*rig{a, b}[i%2]
		wg.Go(func() {
			if err := r.n.Notify(t.Context(), help("sess-1", requested)); err != nil {
				t.Errorf("Notify: %v", err)
			}
			if err := r.n.StorageUnreachable(t.Context(), requested.Add(time.Duration(i)*time.Millisecond), "dial tcp: refused"); err != nil {
				t.Errorf("StorageUnreachable: %v", err)
			}
		})
	}
	wg.Wait()

	eventually(t, "every row sent", func() bool {
		rows := a.rows(t)
		for _, row := range rows {
			if row.Status != notify.Sent {
				return false
			}
		}
		return len(rows) == 4
	})
	var subjects []string
	for _, m := range mailer.Mails() {
		subject := parseMail(t, m.Data).Header.Get("Subject")
		subjects = append(subjects, subject)
	}
	slices.Sort(subjects)
	if want := []string{"[Chatbox] Help requested by Alice Example", "[Chatbox] Storage unreachable"}; !slices.Equal(subjects, want) {
		t.Errorf("mails %q, want one of each %q", subjects, want)
	}
	if got := twilio.Sent(); len(got) != 2 {
		t.Errorf("texts %+v, want one help alert and one outage alert", got)
	}
	eventually(t, "4 sends counted across the instances", func() bool {
		return a.count.Get(notify.Email, notify.ResultSent)+b.count.Get(notify.Email, notify.ResultSent)+
			a.count.Get(notify.SMS, notify.ResultSent)+b.count.Get(notify.SMS, notify.ResultSent) == 4
	})
}

func TestStorageUnreachableSentDirectlyWhenOutboxIsDown(t *testing.T) {
	store, err := sqlite.Open(t.Context(), dbPath(t))
	if err != nil {
		t.Fatal(err)
	}
	outbox := store.Outbox()
	if err := store.Close(); err != nil { // storage is gone
		t.Fatal(err)
	}
	s := allSettings()
	email := &recorder{}
	clock := newFakeClock()
	r := newRig(t, notify.Options{Outbox: outbox, Settings: s, Now: clock.Now, Senders: map[notify.Channel]notify.Sender{notify.Email: email}})

	if err := r.n.StorageUnreachable(t.Context(), clock.Now().Add(-time.Minute), "connection refused"); err != nil {
		t.Fatalf("StorageUnreachable: %v", err)
	}
	if got := email.Of(notify.StorageUnreachable, ""); len(got) != 1 || !strings.Contains(got[0].Text, "connection refused") {
		t.Fatalf("direct mails %+v, want one quoting the error", got)
	}
	clock.Advance(time.Minute)
	if err := r.n.StorageUnreachable(t.Context(), clock.Now(), "connection refused"); err != nil {
		t.Fatal(err)
	}
	if n := len(email.Of(notify.StorageUnreachable, "")); n != 1 {
		t.Errorf("%d direct mails within the outage rate limit, want 1", n)
	}
	if err := r.n.Notify(t.Context(), help("s", time.Time{})); err == nil {
		t.Error("a help alert that could not be stored returned no error")
	}
}

func TestStorageCheckRaisesOneAlert(t *testing.T) {
	s := allSettings()
	s.StorageUnreachableAfter = time.Millisecond
	s.OutageRateLimit = 0 // only the detector keeps it to one alert
	var checks atomic.Int64
	r := newRig(t, notify.Options{Settings: s, StorageCheckEvery: 2 * time.Millisecond,
		StorageCheck: func(context.Context) error {
			checks.Add(1)
			return errors.New("server selection timeout")
		}})
	r.start(t)
	eventually(t, "the outage alert in the log", func() bool { return len(r.log.Lines("admin notification")) == 1 })
	after := checks.Load()
	eventually(t, "more failed checks", func() bool { return checks.Load() >= after+10 })
	rows := r.rows(t)
	if len(rows) != 1 || rows[0].Event != notify.StorageUnreachable {
		t.Errorf("rows %+v, want one storage alert for the whole outage", rows)
	}
}

func TestRecentHidesPayload(t *testing.T) {
	r := newRig(t, notify.Options{Settings: allSettings()})
	if err := r.n.Notify(t.Context(), help("s", time.Time{})); err != nil {
		t.Fatal(err)
	}
	rows, err := r.n.Recent(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Payload != nil || rows[0].Status != notify.Pending || rows[0].Channel != notify.Log {
		t.Errorf("Recent = %+v", rows)
	}
}

func TestOutageDetector(t *testing.T) {
	clock := newFakeClock()
	var reports []time.Time
	d := notify.NewOutageDetector(2*time.Minute, clock.Now, func(_ context.Context, since time.Time, detail string) error {
		reports = append(reports, since)
		return nil
	}, newRig(t, notify.Options{}).log.Logger())
	fail := errors.New("down")
	t0 := clock.Now()
	steps := []struct {
		advance time.Duration
		err     error
		reports int
	}{
		{0, fail, 0},
		{time.Minute, fail, 0},
		{time.Minute, fail, 1}, // two minutes of failures
		{time.Minute, fail, 1}, // once per outage
		{0, nil, 1},            // recovered
		{time.Minute, fail, 1},
		{2 * time.Minute, fail, 2}, // a new outage
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		d.Observe(t.Context(), s.err)
		if len(reports) != s.reports {
			t.Fatalf("step %d: %d reports, want %d", i, len(reports), s.reports)
		}
	}
	if !reports[0].Equal(t0) || !reports[1].Equal(t0.Add(4*time.Minute)) {
		t.Errorf("reported outages since %v, want %v and %v", reports, t0, t0.Add(4*time.Minute))
	}
}

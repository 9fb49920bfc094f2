package notify_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// smsRig is a notifier whose SMS go to a Twilio fake.
func smsRig(t *testing.T, f *twilioFake, token string, o notify.Options) *rig {
	t.Helper()
	s, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: testSID, AuthToken: token, From: testFrom, BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	o.Senders = map[notify.Channel]notify.Sender{notify.SMS: s}
	if o.Settings.Channels == nil {
		o.Settings = notify.Settings{
			Phones: []string{"+14155550100", "+442071838750"}, PanelURL: "https://admin.example.com/console",
			Channels: map[notify.EventType][]notify.Channel{notify.HelpRequested: {notify.SMS}},
		}
	}
	return newRig(t, o)
}

func TestSMSFormFieldsAndAuth(t *testing.T) {
	f := newTwilioFake(t)
	r := smsRig(t, f, testToken, notify.Options{})
	r.start(t)
	if err := r.n.Notify(t.Context(), help("sess-1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both texts, recorded as sent", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.SMS)
		return len(f.Sent()) == 2 && len(s) == 2 && s[0] == notify.Sent && s[1] == notify.Sent
	})
	to := map[string]bool{}
	for _, m := range f.Sent() {
		to[m.To] = true
		want := "Chatbox: Alice Example asked for a human. https://admin.example.com/console?session=sess-1"
		if m.From != testFrom || m.Body != want {
			t.Errorf("text from %q body %q; want from %s body %q", m.From, m.Body, testFrom, want)
		}
	}
	if !to["+14155550100"] || !to["+442071838750"] {
		t.Errorf("texts went to %v, want both admins", to)
	}
	eventually(t, "both sends counted", func() bool { return r.count.Get(notify.SMS, notify.ResultSent) == 2 })
}

func TestSMSRetriesTooManyRequestsAndServerErrors(t *testing.T) {
	f := newTwilioFake(t, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable)
	o := notify.Options{Settings: notify.Settings{
		Phones:   []string{"+14155550100"},
		Channels: map[notify.EventType][]notify.Channel{notify.LLMAllFailing: {notify.SMS}},
	}}
	r := smsRig(t, f, testToken, o)
	r.start(t)
	if err := r.n.LLMAllFailing(t.Context(), time.Date(2025, 6, 1, 12, 4, 0, 0, time.UTC), "HTTP 500 from every provider"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the text after three refusals, recorded as sent", func() bool {
		s := r.statuses(t, notify.LLMAllFailing, notify.SMS)
		return len(f.Sent()) == 1 && len(s) == 1 && s[0] == notify.Sent
	})
	if got := f.Sent()[0].Body; got != "Chatbox: every LLM request failing since 12:04 UTC. Users get no AI replies." {
		t.Errorf("body %q", got)
	}
	row := r.rows(t)[0]
	if row.Attempts != 4 || f.Calls() != 4 {
		t.Errorf("attempts %d, calls %d; want 4 (429, 500, 503, then 201)", row.Attempts, f.Calls())
	}
	eventually(t, "the send counted", func() bool { return r.count.Get(notify.SMS, notify.ResultSent) == 1 })
	if r.count.Get(notify.SMS, notify.ResultRetry) != 3 {
		t.Errorf("counts %v", r.count.m)
	}
	reasons := r.log.Lines("notification send failed; will retry")
	if len(reasons) != 3 || !strings.Contains(reasons[0]["reason"].(string), "HTTP 429") || !strings.Contains(reasons[1]["reason"].(string), "HTTP 500") {
		t.Errorf("retry reasons %v", reasons)
	}
}

func TestSMSBadCredentialsNeverLogged(t *testing.T) {
	f := newTwilioFake(t)
	o := fast(notify.Options{})
	o.Retry.MaxAttempts = 2
	r := smsRig(t, f, "wrong-token-do-not-log", o)
	r.start(t)
	if err := r.n.Notify(t.Context(), help("sess-1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both texts given up", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.SMS)
		return len(s) == 2 && s[0] == notify.Failed && s[1] == notify.Failed
	})
	row := r.rows(t)[0]
	if !strings.Contains(row.LastError, "HTTP 401") || row.Attempts != 2 {
		t.Errorf("row %+v; want 401 retried up to 2 attempts (credentials can be fixed)", row)
	}
	for _, secret := range []string{"wrong-token-do-not-log", testSID} {
		if strings.Contains(r.log.String(), secret) || strings.Contains(row.LastError, secret) {
			t.Errorf("%q reached the log or the outbox", secret)
		}
	}
}

func TestSMSInvalidNumberIsPermanent(t *testing.T) {
	f := newTwilioFake(t, http.StatusBadRequest)
	o := notify.Options{Settings: notify.Settings{
		Phones:   []string{"+14155550100"},
		Channels: map[notify.EventType][]notify.Channel{notify.HelpRequested: {notify.SMS}},
	}}
	r := smsRig(t, f, testToken, o)
	r.start(t)
	if err := r.n.Notify(t.Context(), help("sess-1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the text given up", func() bool {
		s := r.statuses(t, notify.HelpRequested, notify.SMS)
		return len(s) == 1 && s[0] == notify.Failed
	})
	eventually(t, "the failure counted", func() bool { return r.count.Get(notify.SMS, notify.ResultFailed) == 1 })
	if f.Calls() != 1 {
		t.Errorf("calls %d, counts %v; want one attempt, one failure", f.Calls(), r.count.m)
	}
}

func TestSMSTransportErrorHidesAccountSID(t *testing.T) {
	// Nothing listens at the base URL: net/http's error quotes the request
	// URL, which holds the account SID.
	s, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: testFrom,
		BaseURL: "http://" + freePort(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), notify.Message{To: "+14155550100", Short: "hi"})
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), testSID) || strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q shows a credential", err)
	}
}

package config

import (
	"reflect"
	"testing"
	"time"
)

const (
	testSMTPPass   = "smtp-hunter2-pass"
	testAccountSID = "AC0123456789abcdef0123456789abcdef"
	testAuthToken  = "twilio-hunter2-token"
)

// defaultNotify is what Load yields for notifications with nothing set:
// no channel configured, so every alert is logged.
func defaultNotify() Notify {
	return Notify{
		SMTP: SMTP{Port: 587, TLS: SMTPStartTLS},
		Channels: map[string][]string{
			EventHelpRequested:      {"email"},
			EventHelpReminder:       {"email", "sms"},
			EventLLMAllFailing:      {"email", "sms"},
			EventStorageUnreachable: {"email", "sms"},
		},
		HelpReminderAfter:       10 * time.Minute,
		HelpRateLimit:           5 * time.Minute,
		OutageRateLimit:         30 * time.Minute,
		StorageUnreachableAfter: time.Minute,
		LLMFailingAfter:         2 * time.Minute,
	}
}

// notifyEnv is a complete email and SMS configuration, the companions that
// let a test set any one notification key alone.
func notifyEnv() env {
	return env{
		"SMTP_HOST": "mail.example.com", "EMAIL_FROM": "alerts@example.com",
		"SMTP_USER": "mailer", "SMTP_PASS": testSMTPPass,
		"SMS_ACCOUNT_SID": testAccountSID, "SMS_AUTH_TOKEN": testAuthToken, "SMS_FROM_NUMBER": "+15005550006",
	}
}

// notifySamples extends sampleEnv with the notification keys.
func notifySamples() map[string][2]string {
	return map[string][2]string{
		"ADMIN_EMAILS":                        {"Ops <ops@example.com>, support@example.com", "ops@example.com,support@example.com"},
		"ADMIN_PHONES":                        {"+1 (415) 555-0100,+442071838750", "+14155550100,+442071838750"},
		"ADMIN_PANEL_URL":                     {"https://admin.example.com/console/{session_id}", "https://admin.example.com/console/{session_id}"},
		"SMTP_HOST":                           {"smtp.example.com", "smtp.example.com"},
		"SMTP_PORT":                           {"2525", "2525"},
		"SMTP_USER":                           {"apikey", "set"},
		"SMTP_PASS":                           {"pw with spaces ", "set"},
		"SMTP_TLS":                            {"TLS", "tls"},
		"EMAIL_FROM":                          {"Chatbox <noreply@example.com>", `"Chatbox" <noreply@example.com>`},
		"SMS_ACCOUNT_SID":                     {"ACabcdefabcdefabcdefabcdefabcdefab", "set"},
		"SMS_AUTH_TOKEN":                      {"other-token", "set"},
		"SMS_FROM_NUMBER":                     {"+1 415 555 0199", "+14155550199"},
		"NOTIFY_HELP_REQUESTED_CHANNELS":      {"email,SMS,email", "email,sms"},
		"NOTIFY_HELP_REMINDER_CHANNELS":       {"sms", "sms"},
		"NOTIFY_LLM_ALL_FAILING_CHANNELS":     {"none", "none"},
		"NOTIFY_STORAGE_UNREACHABLE_CHANNELS": {"email", "email"},
		"NOTIFY_HELP_REMINDER_AFTER":          {"0s", "0s"},
		"NOTIFY_HELP_RATE_LIMIT":              {"1m", "1m0s"},
		"NOTIFY_OUTAGE_RATE_LIMIT":            {"2h", "2h0m0s"},
		"NOTIFY_STORAGE_UNREACHABLE_AFTER":    {"30s", "30s"},
		"NOTIFY_LLM_FAILING_AFTER":            {"5m", "5m0s"},
	}
}

func TestNotifyFromFile(t *testing.T) {
	path := writeConfig(t, `
[notify]
admin_emails = ["ops@example.com", "Support Team <support@example.com>"]
admin_phones = "+14155550100"
admin_panel_url = "https://admin.example.com/console"
smtp_host = "smtp.example.com"
smtp_tls = "tls"
smtp_user = "apikey"
smtp_pass = "file-pass"
email_from = "alerts@example.com"
sms_account_sid = "`+testAccountSID+`"
sms_auth_token = "file-token"
sms_from_number = "+15005550006"
help_requested_channels = ["email", "sms"]
storage_unreachable_channels = ["none"]
help_reminder_after = "15m"
`)
	c := mustLoad(t, path, secretsEnv())
	want := defaultNotify()
	want.AdminEmails = []string{"ops@example.com", "support@example.com"}
	want.AdminPhones = []string{"+14155550100"}
	want.AdminPanelURL = "https://admin.example.com/console"
	want.SMTP = SMTP{Host: "smtp.example.com", Port: 465, User: "apikey", Password: "file-pass", TLS: SMTPImplicitTLS, From: "alerts@example.com"}
	want.SMS = SMS{AccountSID: testAccountSID, AuthToken: "file-token", FromNumber: "+15005550006"}
	want.Channels[EventHelpRequested] = []string{"email", "sms"}
	want.Channels[EventStorageUnreachable] = []string{}
	want.HelpReminderAfter = 15 * time.Minute
	if !reflect.DeepEqual(c.Notify, want) {
		t.Errorf("notify:\n got %+v\nwant %+v", c.Notify, want)
	}
	if !c.Notify.EmailEnabled() || !c.Notify.SMSEnabled() {
		t.Errorf("EmailEnabled = %v, SMSEnabled = %v; both are fully configured", c.Notify.EmailEnabled(), c.Notify.SMSEnabled())
	}
}

func TestSMTPPortFollowsTLSMode(t *testing.T) {
	for mode, port := range map[string]int{"starttls": 587, "tls": 465, "none": 25} {
		c := mustLoad(t, "", secretsEnv().with("SMTP_TLS", mode))
		if c.Notify.SMTP.Port != port {
			t.Errorf("SMTP_TLS=%s: port %d, want %d", mode, c.Notify.SMTP.Port, port)
		}
	}
	c := mustLoad(t, "", secretsEnv().with("SMTP_TLS", "tls", "SMTP_PORT", "2465"))
	if c.Notify.SMTP.Port != 2465 {
		t.Errorf("SMTP_PORT=2465 gave port %d", c.Notify.SMTP.Port)
	}
}

func TestChannelsEnabledOnlyWhenComplete(t *testing.T) {
	c := mustLoad(t, "", secretsEnv().withAll(notifyEnv()))
	if c.Notify.EmailEnabled() || c.Notify.SMSEnabled() {
		t.Error("channels enabled without ADMIN_EMAILS / ADMIN_PHONES: nobody would receive them")
	}
	c = mustLoad(t, "", secretsEnv().with("ADMIN_EMAILS", "ops@example.com", "ADMIN_PHONES", "+14155550100"))
	if c.Notify.EmailEnabled() || c.Notify.SMSEnabled() {
		t.Error("channels enabled without SMTP_HOST / a Twilio account")
	}
}

func TestBadNotifyValues(t *testing.T) {
	tests := []struct {
		key, value string
		want       string
	}{
		{"ADMIN_EMAILS", "ops@example.com,not-an-address", `"not-an-address" is not an email address`},
		{"ADMIN_EMAILS", "ops@example", `"ops@example" is not an email address`},
		{"ADMIN_EMAILS", "a@b.com\r\nBcc: x@evil.com", "is not an email address"},
		{"ADMIN_PHONES", "+14155550100,4155550101", `"4155550101" is not an E.164 phone number (want + then the country code and number, e.g. +14155550100)`},
		{"ADMIN_PHONES", "+0123456789", "is not an E.164 phone number"},
		{"ADMIN_PHONES", "+1415555010012345", "is not an E.164 phone number"},
		{"SMS_FROM_NUMBER", "twilio", "is not an E.164 phone number"},
		{"EMAIL_FROM", "Chatbox", "is not an email address"},
		{"SMTP_TLS", "ssl", "must be starttls, tls or none"},
		{"SMTP_PORT", "0", "not a port number"},
		{"SMTP_HOST", "smtp.example.com:587", "give the port in SMTP_PORT"},
		{"SMTP_HOST", "smtps://smtp.example.com", "not a host name"},
		{"SMS_ACCOUNT_SID", "AC-hunter2", "SMS_ACCOUNT_SID (value hidden): not a Twilio account SID"},
		{"ADMIN_PANEL_URL", "admin.example.com", "not an http(s) URL"},
		{"ADMIN_PANEL_URL", "javascript:alert(1)", "not an http(s) URL"},
		{"NOTIFY_HELP_REQUESTED_CHANNELS", "email,pager", `"pager" is not a channel (email, sms, or none)`},
		{"NOTIFY_HELP_REMINDER_AFTER", "-1m", "not a duration from 0s to 24h0m0s"},
		{"NOTIFY_STORAGE_UNREACHABLE_AFTER", "0s", "not a duration from 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := load("", prodEnv(t).withAll(notifyEnv()).with(tt.key, tt.value))
			forbidden := []string{testSMTPPass, testAccountSID, testAuthToken}
			if isSecretEnv(tt.key) {
				forbidden = append(forbidden, tt.value)
			}
			checkErr(t, err, []string{tt.key, tt.want}, forbidden...)
		})
	}
}

func TestHalfConfiguredChannelsRefused(t *testing.T) {
	full := secretsEnv().withAll(notifyEnv())
	tests := []struct {
		name string
		e    env
		want []string
	}{
		{"user without password", full.without("SMTP_PASS"), []string{"SMTP_USER is set but SMTP_PASS is not"}},
		{"password without user", full.without("SMTP_USER"), []string{"SMTP_PASS is set but SMTP_USER is not"}},
		{"host without sender", full.without("EMAIL_FROM"), []string{`SMTP_HOST="mail.example.com" is set but EMAIL_FROM is not`}},
		{"SID without token", full.without("SMS_AUTH_TOKEN"), []string{"SMS_ACCOUNT_SID and SMS_FROM_NUMBER set but SMS_AUTH_TOKEN not"}},
		{"number only", full.without("SMS_AUTH_TOKEN", "SMS_ACCOUNT_SID"), []string{"SMS_FROM_NUMBER set but SMS_ACCOUNT_SID and SMS_AUTH_TOKEN not"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load("", tt.e)
			checkErr(t, err, tt.want, testSMTPPass, testAccountSID, testAuthToken)
		})
	}
}

func TestNotifySecretsRedacted(t *testing.T) {
	c := mustLoad(t, "", secretsEnv().withAll(notifyEnv()))
	r := c.Redacted()
	for _, k := range []string{"SMTP_USER", "SMTP_PASS", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN"} {
		if r[k] != "set" {
			t.Errorf("Redacted()[%s] = %q, want \"set\"", k, r[k])
		}
	}
}

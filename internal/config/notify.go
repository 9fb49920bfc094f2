package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Notify holds the settings of admin notifications: who hears about what,
// through which channel, and how often.
type Notify struct {
	AdminEmails   []string // ADMIN_EMAILS: bare addresses
	AdminPhones   []string // ADMIN_PHONES: E.164, e.g. +14155550100
	AdminPanelURL string   // ADMIN_PANEL_URL: base of the session links; "" for none
	SMTP          SMTP
	SMS           SMS

	// Channels lists, per event type (help_requested, help_reminder,
	// llm_all_failing, storage_unreachable), the channels ("email", "sms")
	// switched on for it; an empty list switches the event's email and SMS
	// off (it is still logged).
	Channels map[string][]string

	HelpReminderAfter       time.Duration // NOTIFY_HELP_REMINDER_AFTER; 0: no reminders
	HelpRateLimit           time.Duration // NOTIFY_HELP_RATE_LIMIT; 0: no limit
	OutageRateLimit         time.Duration // NOTIFY_OUTAGE_RATE_LIMIT; 0: no limit
	StorageUnreachableAfter time.Duration // NOTIFY_STORAGE_UNREACHABLE_AFTER
	LLMFailingAfter         time.Duration // NOTIFY_LLM_FAILING_AFTER
}

// SMTP is the mail server notifications are sent through.
type SMTP struct {
	Host     string // SMTP_HOST; "" disables email
	Port     int    // SMTP_PORT; Load fills the mode's standard port when unset
	User     string // SMTP_USER (secret); "" sends without AUTH
	Password string // SMTP_PASS (secret)
	TLS      string // SMTP_TLS: SMTPStartTLS (default), SMTPImplicitTLS or SMTPNoTLS
	From     string // EMAIL_FROM, e.g. "Chatbox <noreply@example.com>"
}

// SMTP_TLS modes.
const (
	SMTPStartTLS    = "starttls" // plain connection upgraded with STARTTLS, required (port 587)
	SMTPImplicitTLS = "tls"      // TLS from the first byte (port 465)
	SMTPNoTLS       = "none"     // no encryption: only for a relay on a trusted network (port 25)
)

// SMS is the Twilio account text messages are sent from.
type SMS struct {
	AccountSID string // SMS_ACCOUNT_SID (secret), AC followed by 32 hex digits
	AuthToken  string // SMS_AUTH_TOKEN (secret)
	FromNumber string // SMS_FROM_NUMBER, E.164
}

// EmailEnabled reports whether email can be sent: a server, a sender and
// at least one recipient.
func (n *Notify) EmailEnabled() bool {
	return n.SMTP.Host != "" && n.SMTP.From != "" && len(n.AdminEmails) > 0
}

// SMSEnabled reports whether text messages can be sent: a complete Twilio
// account and at least one recipient.
func (n *Notify) SMSEnabled() bool {
	return n.SMS.AccountSID != "" && n.SMS.AuthToken != "" && n.SMS.FromNumber != "" && len(n.AdminPhones) > 0
}

// Notification event types, as named in the NOTIFY_<EVENT>_CHANNELS keys.
const (
	EventHelpRequested      = "help_requested"
	EventHelpReminder       = "help_reminder"
	EventLLMAllFailing      = "llm_all_failing"
	EventStorageUnreachable = "storage_unreachable"
)

// noChannels is how an operator switches every channel of an event off: an
// empty value would count as unset and bring the default back.
const noChannels = "none"

// notifySpecs is the table of notification keys, appended to configSpecs.
func notifySpecs() []spec[Config] {
	n := func(c *Config) *Notify { return &c.Notify }
	return []spec[Config]{
		listSpec(Key{Env: "ADMIN_EMAILS", TOMLPath: "notify.admin_emails",
			Doc: "Comma-separated email addresses of the admins who receive notifications."},
			func(c *Config) *[]string { return &n(c).AdminEmails }, checkEmailAddress),
		listSpec(Key{Env: "ADMIN_PHONES", TOMLPath: "notify.admin_phones",
			Doc: "Comma-separated phone numbers (E.164, e.g. +14155550100) of the admins who receive text messages."},
			func(c *Config) *[]string { return &n(c).AdminPhones }, checkPhone),
		stringSpec(Key{Env: "ADMIN_PANEL_URL", TOMLPath: "notify.admin_panel_url",
			Doc: "Admin console URL that notifications link to; {session_id} in it is replaced by the session id, otherwise ?session=<id> is added. Empty: no link."},
			func(c *Config) *string { return &n(c).AdminPanelURL }, checkPanelURL),

		stringSpec(Key{Env: "SMTP_HOST", TOMLPath: "notify.smtp_host",
			Doc: "Mail server for email notifications; empty disables email (notifications are logged instead)."},
			func(c *Config) *string { return &n(c).SMTP.Host }, checkHostName),
		smtpPortSpec(Key{Env: "SMTP_PORT", TOMLPath: "notify.smtp_port",
			Doc: "Mail server port; default 587 with SMTP_TLS=starttls, 465 with tls, 25 with none."}),
		stringSpec(Key{Env: "SMTP_USER", TOMLPath: "notify.smtp_user", Secret: true,
			Doc: "User name for SMTP AUTH; empty sends without authenticating."},
			func(c *Config) *string { return &n(c).SMTP.User }, trimmed),
		stringSpec(Key{Env: "SMTP_PASS", TOMLPath: "notify.smtp_pass", Secret: true,
			Doc: "Password for SMTP AUTH."},
			func(c *Config) *string { return &n(c).SMTP.Password }, untrimmed),
		stringSpec(Key{Env: "SMTP_TLS", TOMLPath: "notify.smtp_tls", Default: SMTPStartTLS,
			Doc: "Mail server encryption: starttls (required STARTTLS, port 587), tls (implicit TLS, port 465) or none (trusted relays only)."},
			func(c *Config) *string { return &n(c).SMTP.TLS }, checkSMTPTLS),
		stringSpec(Key{Env: "EMAIL_FROM", TOMLPath: "notify.email_from",
			Doc: "Sender of email notifications, e.g. \"Chatbox <noreply@example.com>\"; required with SMTP_HOST."},
			func(c *Config) *string { return &n(c).SMTP.From }, checkFromAddress),

		stringSpec(Key{Env: "SMS_ACCOUNT_SID", TOMLPath: "notify.sms_account_sid", Secret: true,
			Doc: "Twilio account SID (AC followed by 32 hex digits) for SMS notifications; empty disables SMS."},
			func(c *Config) *string { return &n(c).SMS.AccountSID }, checkAccountSID),
		stringSpec(Key{Env: "SMS_AUTH_TOKEN", TOMLPath: "notify.sms_auth_token", Secret: true,
			Doc: "Twilio auth token of that account."},
			func(c *Config) *string { return &n(c).SMS.AuthToken }, trimmed),
		stringSpec(Key{Env: "SMS_FROM_NUMBER", TOMLPath: "notify.sms_from_number",
			Doc: "Twilio phone number text messages are sent from (E.164)."},
			func(c *Config) *string { return &n(c).SMS.FromNumber }, checkOptionalPhone),

		channelsSpec(EventHelpRequested, "email",
			"Channels (email, sms, or none) that announce a user asking for a human; at most one alert per user per NOTIFY_HELP_RATE_LIMIT."),
		channelsSpec(EventHelpReminder, "email,sms",
			"Channels (email, sms, or none) of the reminder sent when a help request is still unanswered after NOTIFY_HELP_REMINDER_AFTER."),
		channelsSpec(EventLLMAllFailing, "email,sms",
			"Channels (email, sms, or none) that announce every LLM request failing for NOTIFY_LLM_FAILING_AFTER."),
		channelsSpec(EventStorageUnreachable, "email,sms",
			"Channels (email, sms, or none) that announce storage unreachable for NOTIFY_STORAGE_UNREACHABLE_AFTER."),

		durationSpec(Key{Env: "NOTIFY_HELP_REMINDER_AFTER", TOMLPath: "notify.help_reminder_after", Default: "10m0s",
			Doc: "How long a help request may wait unanswered before the reminder goes out; 0s sends no reminders."},
			0, 24*time.Hour, func(c *Config) *time.Duration { return &n(c).HelpReminderAfter }),
		durationSpec(Key{Env: "NOTIFY_HELP_RATE_LIMIT", TOMLPath: "notify.help_rate_limit", Default: "5m0s",
			Doc: "Shortest interval between two help alerts for one user, across all their sessions and all instances: a burst of requests pages admins once (with one reminder); an admin's answer lifts it. 0s for no limit."},
			0, 24*time.Hour, func(c *Config) *time.Duration { return &n(c).HelpRateLimit }),
		durationSpec(Key{Env: "NOTIFY_OUTAGE_RATE_LIMIT", TOMLPath: "notify.outage_rate_limit", Default: "30m0s",
			Doc: "Shortest interval between two alerts about the same outage kind (LLM, storage), across all instances; 0s for no limit."},
			0, 24*time.Hour, func(c *Config) *time.Duration { return &n(c).OutageRateLimit }),
		durationSpec(Key{Env: "NOTIFY_STORAGE_UNREACHABLE_AFTER", TOMLPath: "notify.storage_unreachable_after", Default: "1m0s",
			Doc: "How long storage must stay unreachable before admins are alerted."},
			time.Second, 24*time.Hour, func(c *Config) *time.Duration { return &n(c).StorageUnreachableAfter }),
		durationSpec(Key{Env: "NOTIFY_LLM_FAILING_AFTER", TOMLPath: "notify.llm_failing_after", Default: "2m0s",
			Doc: "How long every LLM request must keep failing before admins are alerted."},
			time.Second, 24*time.Hour, func(c *Config) *time.Duration { return &n(c).LLMFailingAfter }),
	}
}

// channelsSpec is the NOTIFY_<EVENT>_CHANNELS key of one event type: a
// list like any other, except that "none" stands for the empty list and
// repeated channels count once.
func channelsSpec(event, def, doc string) spec[Config] {
	k := Key{Env: "NOTIFY_" + strings.ToUpper(event) + "_CHANNELS", TOMLPath: "notify." + event + "_channels",
		Default: def, Doc: doc}
	items := listSpec(k, func(l *[]string) *[]string { return l }, checkChannel)
	return spec[Config]{
		key:  k,
		kind: kindList,
		set: func(c *Config, v value) error {
			var raw []string
			if err := items.set(&raw, v); err != nil {
				return err
			}
			list := []string{}
			for _, ch := range raw {
				if ch != noChannels && !slices.Contains(list, ch) {
					list = append(list, ch)
				}
			}
			if c.Notify.Channels == nil {
				c.Notify.Channels = map[string][]string{}
			}
			c.Notify.Channels[event] = list
			return nil
		},
		get: func(c *Config) string {
			list := c.Notify.Channels[event]
			if len(list) == 0 {
				return noChannels
			}
			return strings.Join(list, ",")
		},
	}
}

// smtpPortSpec stores SMTP_PORT; unset (0) means the TLS mode's standard
// port, filled in by resolveNotify.
func smtpPortSpec(k Key) spec[Config] {
	return spec[Config]{
		key:  k,
		kind: kindInt,
		set: func(c *Config, v value) error {
			text := strings.TrimSpace(v.text)
			if text == "" {
				c.Notify.SMTP.Port = 0
				return nil
			}
			p, err := strconv.Atoi(text)
			if err != nil || p < 1 || p > 65535 {
				return errors.New("not a port number (1-65535)")
			}
			c.Notify.SMTP.Port = p
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.Notify.SMTP.Port) },
	}
}

// resolveNotify fills the SMTP port from the TLS mode and refuses
// half-configured channels, which would otherwise fail at the first alert,
// long after start-up.
func resolveNotify(c *Config, winners map[string]value) error {
	n := &c.Notify
	if n.SMTP.Port == 0 {
		n.SMTP.Port = map[string]int{SMTPStartTLS: 587, SMTPImplicitTLS: 465, SMTPNoTLS: 25}[n.SMTP.TLS]
	}
	if (n.SMTP.User == "") != (n.SMTP.Password == "") {
		set, missing := "SMTP_USER", "SMTP_PASS"
		if n.SMTP.User == "" {
			set, missing = missing, set
		}
		return fmt.Errorf("config: %s is set but %s is not; set both for SMTP AUTH, or neither", winners[set].name(), missing)
	}
	if n.SMTP.Host != "" && n.SMTP.From == "" {
		return fmt.Errorf("config: %s is set but EMAIL_FROM is not; set the sender address, e.g. EMAIL_FROM=\"Chatbox <noreply@example.com>\"", winners["SMTP_HOST"].where())
	}
	sms := map[string]string{"SMS_ACCOUNT_SID": n.SMS.AccountSID, "SMS_AUTH_TOKEN": n.SMS.AuthToken, "SMS_FROM_NUMBER": n.SMS.FromNumber}
	var set, missing []string
	for _, k := range []string{"SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM_NUMBER"} {
		if sms[k] == "" {
			missing = append(missing, k)
		} else {
			set = append(set, winners[k].name())
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		return fmt.Errorf("config: %s set but %s not; Twilio needs the account SID, the auth token and the sending number (or none of them to disable SMS)",
			strings.Join(set, " and "), strings.Join(missing, " and "))
	}
	return nil
}

// checkEmailAddress accepts one address ("ops@example.com" or
// "Ops <ops@example.com>") and keeps the bare address.
func checkEmailAddress(s string) (string, error) {
	a, err := parseAddress(s)
	if err != nil {
		return "", err
	}
	return a.Address, nil
}

// checkFromAddress accepts "" or one address, display name included.
func checkFromAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := parseAddress(s)
	if err != nil {
		return "", err
	}
	if a.Name == "" {
		return a.Address, nil
	}
	return a.String(), nil
}

// parseAddress parses one RFC 5322 address and requires a dotted domain
// (or localhost), which net/mail alone does not.
func parseAddress(s string) (*mail.Address, error) {
	bad := showsValue{fmt.Errorf("%q is not an email address (want name@example.com)", truncate(s))}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, bad
	}
	at := strings.LastIndexByte(a.Address, '@')
	domain := a.Address[at+1:]
	if at < 1 || domain == "" || strings.ContainsAny(a.Address, " \t\r\n") ||
		(!strings.Contains(domain, ".") && domain != "localhost") {
		return nil, bad
	}
	return a, nil
}

// e164 is a full international number: +, a country code not starting with
// 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// checkPhone accepts an E.164 number, tolerating the spaces, dashes, dots
// and parentheses people write numbers with, and returns it without them.
func checkPhone(s string) (string, error) {
	compact := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()", r) {
			return -1
		}
		return r
	}, s)
	if !e164.MatchString(compact) {
		return "", showsValue{fmt.Errorf("%q is not an E.164 phone number (want + then the country code and number, e.g. +14155550100)", truncate(s))}
	}
	return compact, nil
}

// checkOptionalPhone is checkPhone allowing "".
func checkOptionalPhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	return checkPhone(s)
}

// accountSID is a Twilio account SID.
var accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)

// checkAccountSID accepts "" or a Twilio account SID. The value is secret,
// so the reason never quotes it.
func checkAccountSID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s != "" && !accountSID.MatchString(s) {
		return "", errors.New("not a Twilio account SID (AC followed by 32 hex digits, from the Twilio console)")
	}
	return s, nil
}

// checkSMTPTLS accepts the three encryption modes.
func checkSMTPTLS(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case SMTPStartTLS, SMTPImplicitTLS, SMTPNoTLS:
		return s, nil
	}
	return "", fmt.Errorf("must be %s, %s or %s", SMTPStartTLS, SMTPImplicitTLS, SMTPNoTLS)
}

// checkHostName accepts "" or a host name or IP address, without scheme or
// port (those have their own keys).
func checkHostName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, r := range s {
		if !(isAlnum(r) || r == '.' || r == '-' || r == ':' || r == '_') {
			return "", errors.New("not a host name (want e.g. smtp.example.com, without scheme or port: the port is SMTP_PORT)")
		}
	}
	if strings.Contains(s, ":") && !strings.Contains(s, "::") && strings.Count(s, ":") == 1 {
		return "", errors.New("not a host name: give the port in SMTP_PORT")
	}
	return s, nil
}

// checkPanelURL accepts "" or an absolute http(s) URL.
func checkPanelURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(strings.ReplaceAll(s, "{session_id}", "x"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", errors.New("not an http(s) URL (want e.g. https://admin.example.com/console)")
	}
	return s, nil
}

// checkChannel accepts a notification channel name.
func checkChannel(s string) (string, error) {
	s = strings.ToLower(s)
	switch s {
	case "email", "sms", noChannels:
		return s, nil
	}
	return "", showsValue{fmt.Errorf("%q is not a channel (email, sms, or none)", truncate(s))}
}

// untrimmed keeps a password byte for byte: spaces may be part of it.
func untrimmed(s string) (string, error) { return s, nil }

package config

import "time"

// Lifecycle holds the data lifecycle settings: when sessions end on their
// own and how long ended ones are kept.
type Lifecycle struct {
	IdleTimeout   time.Duration // SESSION_IDLE_TIMEOUT, default 30m; 0: sessions never expire
	RetentionDays int           // RETENTION_DAYS, default 0: ended sessions are kept until erased
	SweepInterval time.Duration // LIFECYCLE_SWEEP_INTERVAL, default 1m
}

// Retention is RetentionDays as a duration; 0 when retention is off.
func (l Lifecycle) Retention() time.Duration {
	return time.Duration(l.RetentionDays) * 24 * time.Hour
}

// lifecycleSpecs is the table of data lifecycle keys, appended to
// configSpecs.
func lifecycleSpecs() []spec[Config] {
	l := func(c *Config) *Lifecycle { return &c.Lifecycle }
	return []spec[Config]{
		durationSpec(Key{Env: "SESSION_IDLE_TIMEOUT", TOMLPath: "sessions.idle_timeout", Default: "30m0s",
			Doc: "An active session without a message or state change for this long is ended (reason idle); the user's next message gets session_ended and starts a new session. 0s: sessions never expire."},
			0, 365*24*time.Hour, func(c *Config) *time.Duration { return &l(c).IdleTimeout }),
		intSpec(Key{Env: "RETENTION_DAYS", TOMLPath: "sessions.retention_days", Default: "0",
			Doc: "Days an ended session is kept; then it is deleted with its messages, uploads and notifications. 0: kept until the user's data is erased."},
			0, 36500, "a number of days from 0 (keep) to 36500", func(c *Config) *int { return &l(c).RetentionDays }),
		durationSpec(Key{Env: "LIFECYCLE_SWEEP_INTERVAL", TOMLPath: "sessions.sweep_interval", Default: "1m0s",
			Doc: "How often each instance looks for idle sessions to end and expired sessions to delete (every instance may; each session is handled once)."},
			time.Second, 24*time.Hour, func(c *Config) *time.Duration { return &l(c).SweepInterval }),
	}
}

package loadtest

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Scenario names.
const (
	ScenarioIdle    = "idle"
	ScenarioChat    = "chat"
	ScenarioStorm   = "storm"
	ScenarioWatch   = "watch"
	ScenarioStartup = "startup"
)

// Scenarios lists every scenario, in the order the documentation uses.
var Scenarios = []string{ScenarioIdle, ScenarioChat, ScenarioStorm, ScenarioWatch, ScenarioStartup}

// watchSessions is the watch scenario's default: Chatbox lets one
// connection follow at most 100 sessions at once.
const watchSessions = 100

// Limits that keep a run bounded whatever the flags say. A process may
// hold at most 20,000 file descriptors on these machines, and each
// connection takes one in the harness.
const (
	MaxConnections = 19000
	MaxDuration    = time.Hour
)

// BaselineMode says whether and where the bare-frame baseline runs.
type BaselineMode string

// Baseline modes.
const (
	BaselineOff       BaselineMode = "off"
	BaselineProcess   BaselineMode = "process"    // a child process: chatload baseline-serve
	BaselineInProcess BaselineMode = "in-process" // inside the harness (tests)
)

// Config describes one run of one scenario.
type Config struct {
	Scenario string

	// The server under test: either ChatboxPath, a binary the harness
	// starts with the fake model configured, or TargetURL, a running
	// server's base URL (e.g. http://127.0.0.1:8080/chat) configured with
	// LLM_PROVIDER_1_ENDPOINT pointing at LLMAddr.
	ChatboxPath string
	TargetURL   string
	TargetPID   int      // of the running server; 0: read its /metrics instead
	JWTSecret   string   // the server's JWT_SECRET; generated for a started server
	ServerEnv   []string // extra KEY=VALUE for a started server
	DataDir     string   // where a started server's fresh data directory is made (and removed); "" WorkDir
	WorkDir     string   // logs of started processes; "" a temporary directory

	// LLMAddr is where the fake model listens; "" any free loopback port.
	LLMAddr string
	// TokensPerReply and TokensPerSecond shape the replies measured in
	// chat, watch and storm (the storm's replies in flight).
	TokensPerReply  int
	TokensPerSecond float64

	Baseline BaselineMode
	// SelfPath is the chatload executable, run as "baseline-serve" for
	// BaselineProcess.
	SelfPath string

	Connections     int           // idle, storm: clients
	Sessions        int           // chat: concurrent sessions; watch: sessions watched
	Interval        time.Duration // chat, watch: time between one client's messages
	Duration        time.Duration // chat, watch: how long clients keep sending
	InFlight        float64       // storm: fraction of clients with a reply streaming at the drop
	Hold            time.Duration // idle: keep the connections open this long after measuring (to profile the server)
	NoSession       bool          // idle: connect only, to tell a connection's cost from its session's
	StartupRuns     int           // startup: server starts to time
	DialConcurrency int           // connections set up at once (not in the storm, where all go at once)
	Timeout         time.Duration // the whole run; the harness stops itself after it

	Log io.Writer // progress lines; nil: none

	// settlePoll and gcWait shorten the memory measurement's waits in
	// tests; zero means settlePoll and gcWaitMax.
	settlePoll time.Duration
	gcWait     time.Duration
	// llmURL is a fake model the caller already serves (tests, whose
	// in-process server must know the model's address before it starts);
	// "" makes Run serve one.
	llmURL string
}

// setDefaults fills zero values.
func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Connections, 1000)
	if c.Scenario == ScenarioWatch {
		def(&c.Sessions, watchSessions)
	}
	def(&c.Sessions, 1000)
	def(&c.TokensPerReply, 100)
	def(&c.StartupRuns, 10)
	def(&c.DialConcurrency, 200)
	if c.TokensPerSecond <= 0 {
		c.TokensPerSecond = 20
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Second
	}
	if c.Duration <= 0 {
		c.Duration = 60 * time.Second
	}
	if c.InFlight <= 0 {
		c.InFlight = 0.1
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Minute
	}
	if c.Baseline == "" {
		c.Baseline = BaselineOff
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.settlePoll <= 0 {
		c.settlePoll = settlePoll
	}
	if c.gcWait <= 0 {
		c.gcWait = gcWaitMax
	}
}

// validate refuses configurations the harness cannot run safely.
func (c *Config) validate() error {
	known := false
	for _, s := range Scenarios {
		known = known || s == c.Scenario
	}
	var errs []error
	if !known {
		errs = append(errs, fmt.Errorf("unknown scenario %q (scenarios: %v)", c.Scenario, Scenarios))
	}
	if (c.ChatboxPath == "") == (c.TargetURL == "") {
		errs = append(errs, errors.New("give exactly one of a chatbox binary to start or the URL of a running server"))
	}
	if c.TargetURL != "" && c.JWTSecret == "" {
		errs = append(errs, errors.New("a running server needs its JWT secret (flag or JWT_SECRET)"))
	}
	if c.TargetURL != "" && c.Scenario == ScenarioStartup {
		errs = append(errs, errors.New("the startup scenario starts the server itself; give a chatbox binary"))
	}
	if c.Connections > MaxConnections || c.Sessions > MaxConnections {
		errs = append(errs, fmt.Errorf("at most %d connections per run (file descriptor limit)", MaxConnections))
	}
	if c.Duration > MaxDuration || c.Timeout > MaxDuration {
		errs = append(errs, fmt.Errorf("duration and timeout are capped at %s", MaxDuration))
	}
	if c.InFlight > 1 {
		errs = append(errs, errors.New("in-flight fraction must be at most 1"))
	}
	if c.TokensPerReply > maxTokensPerReply || c.TokensPerSecond > maxRate {
		errs = append(errs, fmt.Errorf("at most %d tokens per reply and %d tokens per second", maxTokensPerReply, maxRate))
	}
	if c.Baseline == BaselineProcess && c.SelfPath == "" {
		errs = append(errs, errors.New("a baseline process needs the chatload executable's path"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	return nil
}

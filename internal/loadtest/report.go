package loadtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Report is the outcome of one run: what was measured on Chatbox and on
// the baseline, their ratios, and each of the targets the scenario
// speaks to.
type Report struct {
	Scenario    string    `json:"scenario"`
	Unavailable string    `json:"unavailable,omitempty"` // why the scenario could not run
	Date        time.Time `json:"date"`
	Commit      string    `json:"commit,omitempty"`
	Machine     Machine   `json:"machine"`
	Params      Params    `json:"params"`

	StartupMS float64            `json:"startup_ms,omitempty"` // exec to ready, for a started server
	Startup   *Summary           `json:"startup,omitempty"`    // the startup scenario's runs
	Chatbox   *Result            `json:"chatbox,omitempty"`
	Baseline  *Result            `json:"baseline,omitempty"`
	Ratios    map[string]float64 `json:"ratios_to_baseline,omitempty"`
	FakeLLM   *FakeLLMStats      `json:"fake_llm,omitempty"`
	Targets   []Check            `json:"targets,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// Params are the run's parameters that shape its numbers.
type Params struct {
	Connections     int     `json:"connections,omitempty"`
	NoSession       bool    `json:"no_session,omitempty"`
	Sessions        int     `json:"sessions,omitempty"`
	IntervalS       float64 `json:"interval_s,omitempty"`
	DurationS       float64 `json:"duration_s,omitempty"`
	TokensPerReply  int     `json:"tokens_per_reply,omitempty"`
	TokensPerSecond float64 `json:"tokens_per_second,omitempty"`
	InFlight        float64 `json:"in_flight,omitempty"`
	StartupRuns     int     `json:"startup_runs,omitempty"`
}

// Result is what one scenario measured on one server.
type Result struct {
	Target  string         `json:"target"`
	Connect ConnectResult  `json:"connect"`
	Memory  *MemoryResult  `json:"memory,omitempty"`
	Chat    *ChatResult    `json:"chat,omitempty"`
	Storm   *StormResult   `json:"storm,omitempty"`
	Watch   *WatchResult   `json:"watch,omitempty"`
	Errors  map[string]int `json:"errors"`
}

// ConnectResult is the initial connection of every client.
type ConnectResult struct {
	Attempted int     `json:"attempted"`
	Connected int     `json:"connected"`
	Time      Summary `json:"time"`
}

// MemoryResult is the server's memory before and after the clients
// connected and went idle.
type MemoryResult struct {
	Connections   int     `json:"connections"`
	RSSBeforeMiB  float64 `json:"rss_before_mib"`
	RSSAfterMiB   float64 `json:"rss_after_mib"`
	RSSPerConnKiB float64 `json:"rss_per_connection_kib"`
	// RSSPerConnSettledKiB is the first stable reading after setup,
	// before the GC cycle RSSPerConnKiB waits for (when AfterGC).
	RSSPerConnSettledKiB float64 `json:"rss_per_connection_before_gc_kib"`
	AfterGC              bool    `json:"after_gc"`
	HeapPerConnKiB       float64 `json:"heap_inuse_per_connection_kib,omitempty"`
	StackPerConnKiB      float64 `json:"stack_inuse_per_connection_kib,omitempty"`
	GoroutinesPer        float64 `json:"goroutines_per_connection,omitempty"`
	SettledS             float64 `json:"settled_after_s"`
}

// ChatResult is the streaming load's outcome.
type ChatResult struct {
	Sessions           int     `json:"sessions"`
	WallS              float64 `json:"wall_s"`
	Replies            int64   `json:"replies"`
	TokensDelivered    int64   `json:"tokens_delivered"`
	MergedDeltas       int64   `json:"catch_up_deltas"` // deltas carrying several tokens
	FirstToken         Summary `json:"time_to_first_token"`
	TokenLatency       Summary `json:"token_delivery_latency"`
	ServerCPUS         float64 `json:"server_cpu_s"`
	HarnessCores       float64 `json:"harness_cores"` // the harness's own CPU use, on average
	OtherCores         float64 `json:"other_cores"`   // everything else on the machine: noise
	CPUPer1000Tokens   float64 `json:"server_cpu_s_per_1000_tokens"`
	Persisted          int64   `json:"messages_persisted"`
	PersistedPerSecond float64 `json:"messages_persisted_per_s"`
	Lost               int64   `json:"lost"`
	Duplicated         int64   `json:"duplicated"`
	Corrupt            int64   `json:"reply_text_mismatches"`
}

// StormResult is the mass reconnect's outcome.
type StormResult struct {
	Clients          int     `json:"clients"`
	InFlight         int     `json:"replies_in_flight"`
	Resumed          int     `json:"resumed"`
	AllResumedS      float64 `json:"all_resumed_s"`
	ResumeTime       Summary `json:"resume_time"`
	RepliesCompleted int64   `json:"replies_completed"`
	Lost             int64   `json:"lost"`
	Duplicated       int64   `json:"duplicated"`
	Corrupt          int64   `json:"reply_text_mismatches"`
}

// WatchResult is what one admin watching many sessions saw.
type WatchResult struct {
	Sessions        int     `json:"sessions"`
	TokensDelivered int64   `json:"tokens_delivered"`
	TokenLatency    Summary `json:"token_delivery_latency"`
}

// Check is one of the targets against this run.
type Check struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Verdict  string `json:"verdict"` // met, missed, or why the run does not say
}

func newReport(cfg *Config) *Report {
	return &Report{
		Scenario: cfg.Scenario,
		Date:     time.Now().UTC().Truncate(time.Second),
		Commit:   commit(),
		Machine:  machine(),
		Params:   paramsOf(cfg),
	}
}

func paramsOf(cfg *Config) Params {
	p := Params{}
	switch cfg.Scenario {
	case ScenarioIdle:
		p.Connections, p.NoSession = cfg.Connections, cfg.NoSession
	case ScenarioChat, ScenarioWatch:
		p.Sessions, p.IntervalS, p.DurationS = cfg.Sessions, cfg.Interval.Seconds(), cfg.Duration.Seconds()
		p.TokensPerReply, p.TokensPerSecond = cfg.TokensPerReply, cfg.TokensPerSecond
	case ScenarioStorm:
		p.Connections, p.InFlight = cfg.Connections, cfg.InFlight
		p.TokensPerReply, p.TokensPerSecond = cfg.TokensPerReply, cfg.TokensPerSecond
	case ScenarioStartup:
		p.StartupRuns = cfg.StartupRuns
	}
	return p
}

// commit is the VCS revision the harness was built from (the same tree
// as the server when both are built from one checkout), else the one
// checked out where it runs.
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return checkedOut()
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return checkedOut()
	}
	return rev + dirty
}

// checkedOut asks git, read-only, for the revision of the working
// directory, for builds made without VCS stamping (-buildvcs=false).
func checkedOut() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return m
}

package loadtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// runEnv is what the scenarios of one run share.
type runEnv struct {
	cfg   *Config
	runID string
}

func (e *runEnv) logf(format string, args ...any) {
	fmt.Fprintf(e.cfg.Log, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

// Run runs cfg.Scenario against Chatbox and, where the scenario has one,
// against the baseline, and returns the report. It stops by itself when
// cfg.Timeout passes, and stops every process it started before returning.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	e := &runEnv{cfg: &cfg, runID: strings.ToLower(rand.Text()[:6])}
	workDir := cfg.WorkDir
	if workDir != "" {
		if err := os.MkdirAll(workDir, 0o755); err != nil {
			return nil, fmt.Errorf("loadtest: work dir: %w", err)
		}
	} else {
		dir, err := os.MkdirTemp("", "chatload-")
		if err != nil {
			return nil, fmt.Errorf("loadtest: work dir: %w", err)
		}
		defer os.RemoveAll(dir)
		workDir = dir
	}
	rep := newReport(&cfg)
	if cfg.Scenario == ScenarioStartup {
		return rep, e.runStartup(ctx, rep, workDir)
	}

	llm := NewFakeLLM(cfg.TokensPerReply, cfg.TokensPerSecond)
	llmURL := cfg.llmURL
	if llmURL == "" {
		url, stopLLM, err := serve(cfg.LLMAddr, llm)
		if err != nil {
			return nil, err
		}
		defer stopLLM()
		llmURL = url
	}

	t, err := e.chatboxTarget(ctx, rep, llmURL, workDir)
	if err != nil {
		return nil, err
	}
	rep.Chatbox, rep.Unavailable, err = e.scenario(ctx, t)
	err = errors.Join(err, t.stop())
	if cfg.llmURL == "" {
		stats := llm.Stats()
		rep.FakeLLM = &stats
	}
	if err != nil || rep.Unavailable != "" {
		return rep, err
	}
	if cfg.Baseline != BaselineOff && (cfg.Scenario == ScenarioIdle || cfg.Scenario == ScenarioChat) {
		b, err := startBaseline(ctx, &cfg, workDir)
		if err != nil {
			return rep, err
		}
		rep.Baseline, _, err = e.scenario(ctx, b)
		if err = errors.Join(err, b.stop()); err != nil {
			return rep, err
		}
		// In one process the two share memory and CPU: no ratio means
		// anything then.
		if cfg.Baseline == BaselineProcess {
			rep.Ratios = ratios(rep.Chatbox, rep.Baseline)
		}
	}
	rep.Targets = checks(rep)
	return rep, nil
}

// chatboxTarget starts Chatbox or attaches to the running one.
func (e *runEnv) chatboxTarget(ctx context.Context, rep *Report, llmURL, workDir string) (*target, error) {
	if e.cfg.TargetURL != "" {
		e.logf("using the running server at %s; it must use the fake model at %s/v1", e.cfg.TargetURL, llmURL)
		return newTarget("chatbox", e.cfg.TargetURL, e.cfg.TargetPID, true, []byte(e.cfg.JWTSecret))
	}
	t, readyIn, err := startChatbox(ctx, e.cfg, llmURL, workDir)
	if err != nil {
		return nil, err
	}
	rep.StartupMS = float64(readyIn.Microseconds()) / 1000
	e.logf("chatbox ready in %s (pid %d, fake model at %s)", readyIn.Round(time.Millisecond), t.probe.pid, llmURL)
	return t, nil
}

// scenario runs the configured scenario against t.
func (e *runEnv) scenario(ctx context.Context, t *target) (*Result, string, error) {
	switch e.cfg.Scenario {
	case ScenarioIdle:
		r, err := e.runIdle(ctx, t)
		return r, "", err
	case ScenarioChat:
		r, err := e.runChat(ctx, t)
		return r, "", err
	case ScenarioStorm:
		r, err := e.runStorm(ctx, t)
		return r, "", err
	case ScenarioWatch:
		return e.runWatch(ctx, t)
	}
	return nil, "", fmt.Errorf("loadtest: scenario %q has no runner", e.cfg.Scenario)
}

// runStartup starts Chatbox with embedded defaults StartupRuns times, each
// on a fresh data directory, and reports the time from exec to ready.
func (e *runEnv) runStartup(ctx context.Context, rep *Report, workDir string) error {
	var h Histogram
	for i := range e.cfg.StartupRuns {
		t, readyIn, err := startChatboxDefaults(ctx, e.cfg.ChatboxPath, workDir)
		if err != nil {
			return err
		}
		if err := t.stop(); err != nil {
			return err
		}
		h.Record(readyIn)
		e.logf("start %d: ready in %s", i+1, readyIn.Round(100*time.Microsecond))
	}
	s := h.Summary()
	rep.Startup = &s
	rep.Targets = checks(rep)
	return nil
}

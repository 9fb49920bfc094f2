// Command chatload is Chatbox's load harness. It starts the chatbox binary
// (or uses a running one on loopback) with a fake streaming model, drives
// one scenario with thousands of WebSocket clients, runs the same scenario
// against a bare-frame baseline server for comparison, and prints a table
// and, on request, JSON. docs/BENCHMARKS.md has the commands and numbers.
//
//	chatload idle|chat|storm|watch|startup [flags]
//	chatload baseline-serve -addr 127.0.0.1:PORT   (started by chatload itself)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/chatboxhq/chatbox/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("usage: chatload SCENARIO [flags], scenarios: %s (chatload SCENARIO -h lists the flags)",
			strings.Join(loadtest.Scenarios, ", "))
	}
	if args[0] == "baseline-serve" {
		return baselineServe(ctx, args[1:], stderr)
	}
	cfg, out, err := parseFlags(args[0], args[1:], stderr)
	if err != nil {
		return err
	}
	rep, runErr := loadtest.Run(ctx, cfg)
	if rep != nil {
		if err := rep.WriteTable(stdout); err != nil {
			return err
		}
		if err := writeJSON(out, rep, stdout); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// options are the flags that do not map one to one onto loadtest.Config.
type options struct {
	json      string
	baseline  bool
	quiet     bool
	serverEnv multiFlag
}

func parseFlags(scenario string, args []string, stderr io.Writer) (loadtest.Config, string, error) {
	cfg := loadtest.Config{Scenario: scenario}
	var o options
	fs := flag.NewFlagSet("chatload "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.ChatboxPath, "chatbox", "", `chatbox binary to start (default: "chatbox" beside chatload, else on $PATH)`)
	fs.StringVar(&cfg.TargetURL, "url", "", "use a running server instead, by base URL, e.g. http://127.0.0.1:8080/chat (loopback only)")
	fs.IntVar(&cfg.TargetPID, "pid", 0, "PID of the running server, to read its RSS and CPU from /proc (default: its /metrics)")
	fs.StringVar(&cfg.JWTSecret, "jwt-secret", os.Getenv("JWT_SECRET"), "the running server's JWT secret (default $JWT_SECRET)")
	fs.Var(&o.serverEnv, "server-env", "KEY=VALUE added to a started server's environment (repeatable)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "parent of the started server's fresh data directory, removed after the run, e.g. /dev/shm for tmpfs (default: the work directory)")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "directory kept for the started processes' logs (default: temporary, removed)")
	fs.StringVar(&cfg.LLMAddr, "llm-addr", "", "listen address of the fake model (default: a free loopback port)")
	fs.IntVar(&cfg.Connections, "n", 1000, fmt.Sprintf("idle, storm: clients (at most %d)", loadtest.MaxConnections))
	fs.IntVar(&cfg.Sessions, "sessions", 0, "chat: concurrent sessions (default 1000); watch: sessions the admin watches (default 100, Chatbox's limit per connection)")
	fs.DurationVar(&cfg.Interval, "interval", 0, "chat, watch: time between one session's messages (default 5s)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "chat, watch: how long sessions keep sending (default 60s)")
	fs.IntVar(&cfg.TokensPerReply, "tokens", 100, "tokens per measured reply")
	fs.Float64Var(&cfg.TokensPerSecond, "rate", 20, "tokens per second of the fake model")
	fs.Float64Var(&cfg.InFlight, "in-flight", 0.1, "storm: fraction of clients with a reply streaming when connections drop")
	fs.BoolVar(&cfg.NoSession, "no-session", false, "idle: connect only, without opening a session (the cost of a bare connection)")
	fs.DurationVar(&cfg.Hold, "hold", 0, "idle: keep the connections open this long after measuring, e.g. to profile the server")
	fs.IntVar(&cfg.StartupRuns, "runs", 10, "startup: how many starts to time")
	fs.IntVar(&cfg.DialConcurrency, "concurrency", 200, "connections set up at once (the storm reconnects all at once)")
	fs.BoolVar(&o.baseline, "baseline", true, "idle, chat: also run the scenario against the bare-frame baseline")
	fs.DurationVar(&cfg.Timeout, "timeout", 0, "stop the whole run after this long (default 15m, at most 1h)")
	fs.StringVar(&o.json, "json", "", `write the report as JSON to this file ("-": standard output)`)
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines on standard error")
	if err := fs.Parse(args); err != nil {
		return cfg, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.ServerEnv = o.serverEnv
	if !o.quiet {
		cfg.Log = stderr
	}
	if o.baseline {
		cfg.Baseline = loadtest.BaselineProcess
		self, err := os.Executable()
		if err != nil {
			return cfg, "", fmt.Errorf("find the chatload executable for the baseline: %w", err)
		}
		cfg.SelfPath = self
	}
	if cfg.TargetURL == "" && cfg.ChatboxPath == "" {
		path, err := findChatbox()
		if err != nil {
			return cfg, "", err
		}
		cfg.ChatboxPath = path
	}
	return cfg, o.json, nil
}

// findChatbox looks for the chatbox binary beside chatload, then on $PATH.
func findChatbox() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "chatbox")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("chatbox"); err == nil {
		return p, nil
	}
	return "", errors.New(`no chatbox binary: build both with "go build -o bin/ ./cmd/chatbox ./cmd/chatload", or pass -chatbox PATH or -url`)
}

func writeJSON(path string, rep *loadtest.Report, stdout io.Writer) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set implements flag.Value.
func (m *multiFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	*m = append(*m, v)
	return nil
}

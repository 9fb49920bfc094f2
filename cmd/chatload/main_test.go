package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/loadtest"
)

func TestFlagsBecomeTheRunsConfig(t *testing.T) {
	var stderr bytes.Buffer
	cfg, out, err := parseFlags("chat", []string{
		"-url", "http://127.0.0.1:8080/chat", "-jwt-secret", "s", "-pid", "42",
		"-sessions", "500", "-interval", "2s", "-duration", "30s", "-tokens", "40", "-rate", "8",
		"-server-env", "GOGC=50", "-baseline=false", "-json", "out.json", "-quiet",
	}, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := loadtest.Config{
		Scenario: "chat", TargetURL: "http://127.0.0.1:8080/chat", JWTSecret: "s", TargetPID: 42,
		Sessions: 500, Interval: 2 * time.Second, Duration: 30 * time.Second, TokensPerReply: 40, TokensPerSecond: 8,
		Connections: 1000, InFlight: 0.1, StartupRuns: 10, DialConcurrency: 200, ServerEnv: []string{"GOGC=50"},
	}
	if cfg.Baseline != "" || cfg.Log != nil || out != "out.json" {
		t.Errorf("baseline %q, log %v, json %q", cfg.Baseline, cfg.Log, out)
	}
	cfg.Baseline, cfg.Log = "", nil
	gotJSON, _ := json.Marshal(cfg)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("config\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-n", "5"},
		{"idle", "-server-env", "NOEQUALS"},
		{"idle", "-url", "http://127.0.0.1:1/chat", "extra"},
		{"idle", "-no-such-flag"},
		{"baseline-serve", "-addr", "192.0.2.1:80"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := run(ctx, args, &stdout, &stderr); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// The JSON report goes to the file asked for, or to standard output.
func TestReportIsWrittenAsJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	rep := &loadtest.Report{Scenario: "idle", Chatbox: &loadtest.Result{Target: "chatbox"}}
	if err := writeJSON(path, rep, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back loadtest.Report
	if err := json.Unmarshal(data, &back); err != nil || back.Scenario != "idle" || back.Chatbox.Target != "chatbox" {
		t.Fatalf("read back %+v, %v", back, err)
	}
	var stdout bytes.Buffer
	if err := writeJSON("-", rep, &stdout); err != nil || !json.Valid(stdout.Bytes()) {
		t.Fatalf("stdout JSON: %v %q", err, stdout.String())
	}
}

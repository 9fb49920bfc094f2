package loadtest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitLimit is a safety net against hangs, never an assertion on speed.
const waitLimit = 30 * time.Second

// helperEnv makes the test binary serve the baseline instead of running
// tests, so the child-process code is exercised against a real process.
const helperEnv = "CHATLOAD_TEST_HELPER_ADDR"

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		ctx, stop := context.WithTimeout(context.Background(), time.Minute)
		defer stop()
		if err := ServeBaseline(ctx, addr, NewBaseline(1, 0)); err != nil {
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStartedServerIsAwaitedAndStopped(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tg, readyIn, err := launch(ctx, "helper", os.Args[0], []string{"-test.run=^$"},
		append(baseEnv(), helperEnv+"="+addr), "http://"+addr+"/chat", dir, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if readyIn <= 0 || tg.probe.pid <= 0 {
		t.Errorf("ready in %s, pid %d", readyIn, tg.probe.pid)
	}
	if u, err := tg.probe.read(ctx); err != nil || u.RSS <= 0 {
		t.Errorf("usage %+v, %v", u, err)
	}
	if m := runtimeStats(ctx, tg); m[metricGoroutines] <= 0 {
		t.Errorf("runtime stats %v", m)
	}
	if err := tg.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

func TestAServerThatFailsToStartSaysWhy(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	// The helper exits at once on an address it cannot listen on.
	_, _, err := launch(ctx, "helper", os.Args[0], []string{"-test.run=^$"},
		append(baseEnv(), helperEnv+"=192.0.2.1:1"), "http://127.0.0.1:1/chat", dir, false, nil)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("err = %v", err)
	}
}

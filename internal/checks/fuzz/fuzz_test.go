package fuzz

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/checks"
)

// fuzzTarget is one fuzz test of a decoder that sees untrusted bytes.
type fuzzTarget struct {
	pkg, name, input string
}

// fuzzTargets lists every decoder of untrusted input and its fuzz test.
// The regular test run executes each target's seed corpus (f.Add and
// testdata/fuzz); TestFuzzTargets additionally mutates each for a while.
var fuzzTargets = []fuzzTarget{
	{"./internal/transport/ws", "FuzzDecodeFrame", "client WebSocket frames (JSON)"},
	{"./internal/auth", "FuzzVerify", "bearer tokens (JWT)"},
	{"./internal/auth", "FuzzRedactURL", "request URLs written to the logs"},
	{"./internal/auth", "FuzzRedactURLTokenAnywhere", "token-shaped values anywhere in a logged URL"},
	{"./internal/httpapi", "FuzzIntParam", "REST query parameters"},
	{"./internal/store/sqlite", "FuzzDecodeCursor", "REST paging cursors (SQLite)"},
	{"./internal/store/mongo", "FuzzParseCursor", "REST paging cursors (MongoDB)"},
	{"./internal/config", "FuzzLoadTOML", "the TOML config file"},
	{"./internal/config", "FuzzLoadEnv", "configuration environment variables"},
	{"./internal/crypto", "FuzzOpen", "stored ciphertexts"},
	{"./internal/bus", "FuzzDecodeEvent", "events from NATS"},
	{"./internal/llm", "FuzzRetryAfter", "provider Retry-After headers"},
	{"./internal/llm/dify", "FuzzSSEDecoder", "Dify server-sent events"},
	{"./internal/llm/dify", "FuzzReader", "Dify stream events"},
	{"./internal/notify", "FuzzTwilioError", "Twilio error responses"},
}

// TestFuzzTargets fuzzes each target for a short fixed time (5s, or
// CHATBOX_FUZZ_TIME such as 10m for a long run) and fails on any crasher,
// which go test writes to the package's testdata/fuzz/<name>/ directory:
// commit it there and it becomes a seed every regular run replays.
func TestFuzzTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzing is skipped under -short")
	}
	fuzzTime := 5 * time.Second
	if v := os.Getenv("CHATBOX_FUZZ_TIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CHATBOX_FUZZ_TIME=%q: want a positive duration such as 30s", v)
		}
		fuzzTime = d
	}
	root, err := checks.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range fuzzTargets {
		t.Run(target.name, func(t *testing.T) {
			// Building the instrumented test binary dominates a short run;
			// the limit only guards against a hung child.
			ctx, cancel := context.WithTimeout(context.Background(), fuzzTime+5*time.Minute)
			defer cancel()
			out, err := checks.RunGo(ctx, root, "test", "-run", "^$", "-fuzz", "^"+target.name+"$",
				"-fuzztime", fuzzTime.String(), target.pkg)
			switch {
			case err == nil:
			case toolchainDeadlineFlake(out, target.name):
				t.Logf("fuzzing %s stopped with Go's fuzz-deadline race (go.dev/issue/75804, fixed in Go 1.27), not a finding:\n%s", target.name, out)
			default:
				t.Fatalf("fuzzing %s (%s) in %s found a failure (%v):\n%s", target.name, target.input, target.pkg, err, out)
			}
		})
	}
}

// toolchainDeadlineFlake recognises the one spurious failure of Go 1.26's
// fuzzing engine: when -fuzztime expires while a worker is busy, go test
// fails the target with nothing but "context deadline exceeded", writing
// no failing input. Anything else, including any line a real failure
// prints (a written input, a panic, a t.Error), is a finding.
func toolchainDeadlineFlake(out, name string) bool {
	if strings.Contains(out, "Failing input written to") || strings.Contains(out, "panic:") {
		return false
	}
	_, after, ok := strings.Cut(out, "--- FAIL: "+name+" (")
	if !ok {
		return false
	}
	lines := strings.Split(strings.TrimSpace(after), "\n")
	// lines[0] is the rest of the FAIL line; then exactly the one reason.
	return len(lines) >= 2 && strings.TrimSpace(lines[1]) == "context deadline exceeded" &&
		(len(lines) == 2 || strings.TrimSpace(lines[2]) == "FAIL")
}

func TestToolchainDeadlineFlake(t *testing.T) {
	tests := []struct {
		name, out string
		flake     bool
	}{
		{"bare deadline", "fuzz: elapsed: 5s\n--- FAIL: FuzzX (6.70s)\n    context deadline exceeded\nFAIL\nexit status 1\nFAIL\tpkg\t6.8s\n", true},
		{"failing input", "--- FAIL: FuzzX (1.00s)\n    --- FAIL: FuzzX (0.00s)\n        x_test.go:9: boom\n    Failing input written to testdata/fuzz/FuzzX/abc\n", false},
		{"panic", "--- FAIL: FuzzX (1.00s)\n    context deadline exceeded\npanic: runtime error\n", false},
		{"deadline plus an error", "--- FAIL: FuzzX (1.00s)\n    x_test.go:9: boom\n    context deadline exceeded\n", false},
		{"another target", "--- FAIL: FuzzY (1.00s)\n    context deadline exceeded\n", false},
		{"build failure", "# pkg\n./x.go:1: syntax error\nFAIL\tpkg [build failed]\n", false},
	}
	for _, tt := range tests {
		if got := toolchainDeadlineFlake(tt.out, "FuzzX"); got != tt.flake {
			t.Errorf("%s: flake = %v, want %v", tt.name, got, tt.flake)
		}
	}
}

package loadtest

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "1234 (chat box) (x)) S 1 1234 1234 0 -1 4194560 1 0 0 0 250 150 0 0 20 0 9 0 100 1 1"
	got, err := parseStatCPU([]byte(stat))
	if err != nil || got != 4*time.Second {
		t.Fatalf("got %s, %v; want 4s (400 ticks)", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 1 1 1 1 1 1 1 1 1 x y"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestReadProcOfThisProcess(t *testing.T) {
	u, err := readProc(os.Getpid())
	if err != nil || u.RSS <= 0 {
		t.Fatalf("usage %+v, %v", u, err)
	}
}

func TestParseExpositionKeepsUnlabelledSamples(t *testing.T) {
	text := "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 42\n" +
		"chatbox_messages_sent_total{type=\"message\"} 7\nprocess_resident_memory_bytes 1.5e+07\nbroken\nempty \n"
	m, err := parseExposition(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m["go_goroutines"] != 42 || m["process_resident_memory_bytes"] != 1.5e7 || len(m) != 2 {
		t.Fatalf("got %v", m)
	}
}

// FuzzParseExposition: metrics come from the server under test.
func FuzzParseExposition(f *testing.F) {
	f.Add("go_goroutines 42\n")
	f.Add("a{b=\"c\"} 1\nx  \n# y\n")
	f.Fuzz(func(t *testing.T, text string) {
		_, _ = parseExposition(strings.NewReader(text))
	})
}

// FuzzParseStatCPU: /proc contents are not ours either.
func FuzzParseStatCPU(f *testing.F) {
	f.Add([]byte("1 (a b) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0"))
	f.Fuzz(func(t *testing.T, stat []byte) {
		_, _ = parseStatCPU(stat)
	})
}

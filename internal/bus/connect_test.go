package bus

import (
	"errors"
	"io/fs"
	"net"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

const secret = "s3cr3t-pa55"

func TestRedactURLs(t *testing.T) {
	cases := []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://alice:" + secret + "@nats.internal:4222", "nats://REDACTED@nats.internal:4222"},
		{"tls://" + secret + "@nats.internal:4222", "tls://REDACTED@nats.internal:4222"}, // token auth
		{" nats://a:" + secret + "@h1:4222 , nats://h2:4222,", "nats://REDACTED@h1:4222,nats://h2:4222"},
	}
	for _, tc := range cases {
		got, err := redactURLs(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("redactURLs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", " , ", "nats://alice:" + secret + "@host:port", "nats://a:" + secret + "@h\x7f:1"} {
		_, err := redactURLs(bad)
		if err == nil {
			t.Errorf("redactURLs(%q) accepted a bad list", bad)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("redactURLs error leaks the password: %v", err)
		}
	}
}

func TestScrubbedKeepsErrorIdentity(t *testing.T) {
	base := &fs.PathError{Op: "dial", Path: "nats://bob:" + secret + "@host", Err: fs.ErrNotExist}
	err := scrubbed(base, "nats://bob:"+secret+"@host")
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("scrubbed error still contains the password: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("scrubbing lost the wrapped error")
	}
	clean := errors.New("nats: no servers available for connection")
	if scrubbed(clean, "nats://bob:"+secret+"@host") != clean {
		t.Fatal("an error without secrets was rewrapped")
	}
}

func TestReconnectDelayIsBoundedBackoff(t *testing.T) {
	for attempts := range 200 {
		d := reconnectDelay(attempts)
		if d < reconnectMin/2 || d > reconnectMax {
			t.Fatalf("reconnectDelay(%d) = %s, want within [%s, %s]", attempts, d, reconnectMin/2, reconnectMax)
		}
	}
	// The fixed half of the delay grows with attempts until it hits the cap.
	if low := reconnectDelay(1000); low < reconnectMax/2 {
		t.Fatalf("reconnectDelay after many attempts = %s, want at least %s", low, reconnectMax/2)
	}
}

// TestConnectLogsWithoutCredentials runs a connection through connect,
// disconnect and close, and checks that the log names events but never the
// credentials in its URL. The embedded server has no auth configured, so it
// ignores them.
func TestConnectLogsWithoutCredentials(t *testing.T) {
	srv := startServer(t, EmbeddedOptions{Listen: "127.0.0.1:0"})
	logs := newLogBuffer()
	url := strings.Replace(srv.ClientURL(), "nats://", "nats://alice:"+secret+"@", 1)
	nc, err := Connect(url, "logger-test", logs.logger())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(nc.Close)
	logs.waitFor(t, "connected to NATS")

	changed := nc.StatusChanged(nats.RECONNECTING)
	t.Cleanup(func() { nc.RemoveStatusListener(changed) })
	srv.Shutdown()
	waitStatus(t, changed)
	logs.waitFor(t, "disconnected from NATS")
	nc.Close()
	logs.waitFor(t, "NATS connection closed")

	if out := logs.String(); strings.Contains(out, secret) || strings.Contains(out, "alice") {
		t.Fatalf("log contains credentials:\n%s", out)
	}
	if !strings.Contains(logs.String(), "REDACTED@") {
		t.Fatalf("log does not show the redacted URL:\n%s", logs.String())
	}
}

func TestConnectFailureHidesCredentials(t *testing.T) {
	// A port that was free a moment ago refuses connections, on loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	nc, err := Connect("nats://alice:"+secret+"@"+addr, "refused", nil)
	if err == nil {
		nc.Close()
		t.Fatal("Connect to a closed port succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "REDACTED@"+addr) {
		t.Fatalf("error %q does not say which server failed", err)
	}
}

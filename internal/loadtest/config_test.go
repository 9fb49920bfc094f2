package loadtest

import (
	"strings"
	"testing"
	"time"
)

func TestConfigRefusesWhatCannotRunSafely(t *testing.T) {
	valid := func() Config {
		return Config{Scenario: ScenarioIdle, TargetURL: "http://127.0.0.1:8080/chat", JWTSecret: "s"}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" valid
	}{
		{"valid", func(*Config) {}, ""},
		{"unknown scenario", func(c *Config) { c.Scenario = "soak" }, "unknown scenario"},
		{"no server", func(c *Config) { c.TargetURL = "" }, "exactly one"},
		{"two servers", func(c *Config) { c.ChatboxPath = "/bin/chatbox" }, "exactly one"},
		{"running server without secret", func(c *Config) { c.JWTSecret = "" }, "JWT secret"},
		{"too many connections", func(c *Config) { c.Connections = MaxConnections + 1 }, "at most"},
		{"too long", func(c *Config) { c.Timeout = 2 * MaxDuration }, "capped"},
		{"in-flight above one", func(c *Config) { c.InFlight = 1.5 }, "in-flight"},
		{"startup needs a binary", func(c *Config) { c.Scenario = ScenarioStartup }, "starts the server itself"},
		{"baseline process needs chatload", func(c *Config) { c.Baseline = BaselineProcess }, "chatload executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			c.setDefaults()
			err := c.validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestDefaultsKeepARunBounded(t *testing.T) {
	c := Config{Scenario: ScenarioWatch}
	c.setDefaults()
	if c.Timeout <= 0 || c.Timeout > MaxDuration || c.Sessions != watchSessions || c.Log == nil {
		t.Fatalf("defaults %+v", c)
	}
	if d := time.Duration(0); c.Interval == d || c.Duration == d {
		t.Fatalf("defaults %+v", c)
	}
}

func TestOnlyLoopbackIsATarget(t *testing.T) {
	for host, ok := range map[string]bool{"127.0.0.1": true, "127.9.9.9": true, "::1": true, "localhost": true,
		"10.0.0.1": false, "example.com": false, "0.0.0.0": false, "": false} {
		if err := requireLoopback(host); (err == nil) != ok {
			t.Errorf("requireLoopback(%q) = %v", host, err)
		}
	}
	if _, err := newTarget("chatbox", "http://192.0.2.1:8080/chat", 0, true, nil); err == nil {
		t.Error("a remote target was accepted")
	}
	if _, err := newDialer("ws://198.51.100.7/chat/ws"); err == nil {
		t.Error("a remote WebSocket was accepted")
	}
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test secrets: long enough for production, distinctive enough to search
// for in error text.
const (
	testJWTSecret = "test-jwt-secret-0123456789abcdefghijklmnop"
	testAPIKey    = "sk-test-api-key-do-not-leak"
	// testEncKey is base64 of the 32 bytes "0123456789abcdef0123456789abcdef".
	testEncKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
)

// env is a hermetic environment for LoadOptions.LookupEnv.
type env map[string]string

func (e env) lookup(k string) (string, bool) {
	v, ok := e[k]
	return v, ok
}

// with returns a copy of e with kv pairs added ("" values included).
func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// withAll returns a copy of e with every entry of more added.
func (e env) withAll(more env) env {
	out := e.with()
	for k, v := range more {
		out[k] = v
	}
	return out
}

// without returns a copy of e without keys.
func (e env) without(keys ...string) env {
	out := e.with()
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// devEnv is a development environment whose data dir is private to the test.
func devEnv(t *testing.T) env {
	t.Helper()
	return env{"CHATBOX_DATA_DIR": t.TempDir()}
}

// secretsEnv is a development environment with both secrets set, so Load
// never touches the disk.
func secretsEnv() env {
	return env{"JWT_SECRET": testJWTSecret, "ENCRYPTION_KEY": testEncKey}
}

// prodEnv is a complete production environment.
func prodEnv(t *testing.T) env {
	t.Helper()
	return devEnv(t).with(
		"CHATBOX_ENV", "production",
		"JWT_SECRET", testJWTSecret,
		"ENCRYPTION_KEY", testEncKey,
		"WS_ALLOWED_ORIGINS", "https://chat.example.com",
		"LLM_PROVIDER_1_TYPE", "openai",
		"LLM_PROVIDER_1_MODEL", "gpt-4o-mini",
		"LLM_PROVIDER_1_API_KEY", testAPIKey,
	)
}

// writeConfig writes a TOML file into a fresh temp dir and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chatbox.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(path string, e env) (*Config, error) {
	return Load(LoadOptions{Path: path, LookupEnv: e.lookup})
}

func mustLoad(t *testing.T, path string, e env) *Config {
	t.Helper()
	c, err := load(path, e)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// checkErr fails unless err is one line containing every want, and none of
// the forbidden strings (secret values).
func checkErr(t *testing.T, err error, want []string, forbidden ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Load succeeded, want an error containing %q", want)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.HasPrefix(msg, "config: ") {
		t.Errorf("error %q lacks the config: prefix", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
	for _, f := range forbidden {
		if f != "" && strings.Contains(msg, f) {
			t.Errorf("error %q leaks %q", msg, f)
		}
	}
}

package config

import (
	"strings"
	"testing"
)

// FuzzLoadEnv sets one documented environment variable, or one numbered
// provider variable, to an arbitrary value: Load must never panic, errors
// stay on one line and never quote a secret's value, and what it accepts
// is a valid configuration.
func FuzzLoadEnv(f *testing.F) {
	f.Add(uint8(0), "production")
	f.Add(uint8(3), "99999")
	f.Add(uint8(3), "-1")
	f.Add(uint8(5), "1ns")
	f.Add(uint8(7), "\x00\xff")
	f.Add(uint8(9), "////")
	f.Add(uint8(12), "*,https://a, ,")
	f.Add(uint8(13), "1e309")
	f.Add(uint8(200), "anthropic")
	f.Add(uint8(201), "http://[::1")
	f.Add(uint8(202), "sk-fuzzed-secret-value")

	names := make([]string, 0, 64)
	secret := map[string]bool{}
	for _, s := range configSpecs() {
		if s.key.Env == "CHATBOX_DATA_DIR" || s.key.Env == "CHATBOX_CONFIG" {
			continue // the data dir is pinned below; no file is read
		}
		names = append(names, s.key.Env)
		secret[s.key.Env] = s.key.Secret
	}
	provider := []string{"LLM_PROVIDER_1_TYPE", "LLM_PROVIDER_1_ENDPOINT", "LLM_PROVIDER_1_API_KEY", "LLM_PROVIDER_1_MODEL", "LLM_PROVIDER_1_PRIORITY"}
	secret["LLM_PROVIDER_1_API_KEY"] = true

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		name := names[int(which)%len(names)]
		e := env{"CHATBOX_DATA_DIR": dir, "JWT_SECRET": testJWTSecret, "ENCRYPTION_KEY": testEncKey}
		if which >= 200 {
			name = provider[int(which-200)%len(provider)]
			e = e.with("LLM_PROVIDER_1_ID", "p", "LLM_PROVIDER_1_TYPE", "openai", "LLM_PROVIDER_1_MODEL", "m")
		}
		e = e.with(name, value)
		c, err := load("", e)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("multi-line error: %q", msg)
			}
			if v := strings.TrimSpace(value); secret[name] && len(v) >= 8 && strings.Contains(msg, v) {
				t.Errorf("error quotes the secret %s: %q", name, msg)
			}
			return
		}
		if c.Server.Port < 1 || c.Server.Port > 65535 || c.WebSocket.SendQueue < 16 || c.Log.Format == "" {
			t.Errorf("accepted an invalid config from %s=%q: %+v", name, value, c)
		}
	})
}

package config

import (
	"strings"
	"testing"
)

func TestRedacted(t *testing.T) {
	e := prodEnv(t).with(
		"MONGO_URI", "mongodb://admin:hunter2@mongo:27017/chat",
		"NATS_URL", "nats://u:natspw@nats:4222",
		"LLM_PROVIDER_1_ENDPOINT", "https://u:endpointpw@llm.example.com/v1",
		"LLM_PROVIDER_1_SYSTEM_PROMPT", "internal instructions",
	)
	c := mustLoad(t, "", e)
	r := c.Redacted()
	for k, v := range r {
		for _, secret := range []string{testJWTSecret, testEncKey, testAPIKey, "hunter2", "natspw", "endpointpw", "internal instructions"} {
			if strings.Contains(v, secret) {
				t.Errorf("Redacted()[%s] = %q shows %q", k, v, secret)
			}
		}
	}
	for key, want := range map[string]string{
		"JWT_SECRET": "set", "ENCRYPTION_KEY": "set", "MONGO_URI": "set",
		"NATS_URL": "nats://REDACTED@nats:4222", "SERVER_PORT": "8080", "CHATBOX_ENV": "production",
		"CHATBOX_CONFIG": "",
	} {
		if r[key] != want {
			t.Errorf("Redacted()[%s] = %q, want %q", key, r[key], want)
		}
	}
	if p := r["LLM_PROVIDERS[0]"]; !strings.Contains(p, "api_key=set") || !strings.Contains(p, "system_prompt=21 bytes") {
		t.Errorf("provider summary %q", p)
	}
	for _, k := range Keys() {
		if _, ok := r[k.Env]; !ok && !strings.Contains(k.Env, "<N>") {
			t.Errorf("Redacted lacks %s", k.Env)
		}
	}
}

func TestRedactedUnsetSecrets(t *testing.T) {
	c := &Config{}
	r := c.Redacted()
	if r["JWT_SECRET"] != "unset" || r["ENCRYPTION_KEY"] != "unset" || r["MONGO_URI"] != "unset" {
		t.Errorf("unset secrets shown as %q %q %q", r["JWT_SECRET"], r["ENCRYPTION_KEY"], r["MONGO_URI"])
	}
}

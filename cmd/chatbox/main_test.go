package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/config"
)

func TestTokenCommandMintsATokenTheServerAccepts(t *testing.T) {
	secret := "a-secret-of-at-least-thirty-two-bytes!!"
	t.Setenv("JWT_SECRET", secret)
	t.Setenv("CHATBOX_DATA_DIR", t.TempDir())
	var out, errb bytes.Buffer
	if err := run([]string{"token", "--user", "alice", "--admin", "--ttl", "1h"}, &out, &errb); err != nil {
		t.Fatalf("token: %v (%s)", err, errb.String())
	}
	claims, err := auth.NewVerifier([]byte(secret), 0).Verify(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if claims.UserID != "alice" || !claims.Admin() || time.Until(claims.ExpiresAt) > time.Hour {
		t.Fatalf("claims = %+v, want alice, admin, expiring within an hour", claims)
	}
}

func TestCommandErrors(t *testing.T) {
	t.Setenv("CHATBOX_DATA_DIR", t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"launch"}, `unknown command "launch"`},
		{[]string{"token"}, "--user is required"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := run(tt.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"version"}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "chatbox ") {
		t.Fatalf("version printed %q, err %v", out.String(), err)
	}
}

func TestServeRefusesBadConfigWithOneLineNamingTheKey(t *testing.T) {
	t.Setenv("CHATBOX_DATA_DIR", t.TempDir())
	t.Setenv("SERVER_PORT", "eighty")
	var errb bytes.Buffer
	err := run(nil, &errb, &errb)
	if err == nil || !strings.Contains(err.Error(), "SERVER_PORT") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("serve with a bad port: %v, want one line naming SERVER_PORT", err)
	}
}

// A provider skipped for lack of its key is a warning in the start-up log,
// naming the key, not a refusal to start.
func TestStartupLogsSkippedProviders(t *testing.T) {
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{
			"JWT_SECRET": cmdTestSecret, "ENCRYPTION_KEY": testKey("startup"),
			"WS_ALLOWED_ORIGINS": "https://chat.test",
			"LLM_PROVIDER_2_ID":  "claude", "LLM_PROVIDER_2_TYPE": "anthropic", "LLM_PROVIDER_2_MODEL": "claude-sonnet-4-5",
			"LLM_PROVIDER_3_API_KEY": "app-never-logged",
		}[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	logStartup(slog.New(slog.NewTextHandler(&out, nil)), cfg)
	for _, want := range []string{
		`level=WARN msg="config: LLM provider \"claude\" skipped: LLM_PROVIDER_2_API_KEY is not set`,
		"LLM_PROVIDER_3_API_KEY is set but provider 3 is not configured",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up log lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "app-never-logged") {
		t.Errorf("start-up log shows a key:\n%s", out.String())
	}
}

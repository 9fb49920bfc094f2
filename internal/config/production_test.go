package config

import "testing"

func TestProductionAccepted(t *testing.T) {
	c := mustLoad(t, "", prodEnv(t))
	if !c.Production() || c.Log.Format != "json" || len(c.Generated) != 0 {
		t.Errorf("production: Production()=%v format=%q generated=%q", c.Production(), c.Log.Format, c.Generated)
	}
}

func TestProductionRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(env) env
		want   []string
	}{
		{"missing JWT_SECRET", func(e env) env { return e.without("JWT_SECRET") },
			[]string{"JWT_SECRET is not set", "openssl rand -base64 32"}},
		{"blank JWT_SECRET", func(e env) env { return e.with("JWT_SECRET", " ") },
			[]string{"JWT_SECRET is not set"}},
		{"short JWT_SECRET", func(e env) env { return e.with("JWT_SECRET", "short-secret-hunter2") },
			[]string{"JWT_SECRET is shorter than 32 bytes", "openssl rand -base64 32"}},
		{"missing ENCRYPTION_KEY", func(e env) env { return e.without("ENCRYPTION_KEY") },
			[]string{"ENCRYPTION_KEY is not set", "openssl rand -base64 32"}},
		{"bad ENCRYPTION_KEY", func(e env) env { return e.with("ENCRYPTION_KEY", "aHVudGVyMg==") },
			[]string{"ENCRYPTION_KEY (value hidden): want base64 of exactly 32 bytes"}},
		{"empty WS_ALLOWED_ORIGINS", func(e env) env { return e.without("WS_ALLOWED_ORIGINS") },
			[]string{"WS_ALLOWED_ORIGINS is empty", "https://chat.example.com"}},
		{"wildcard WS_ALLOWED_ORIGINS", func(e env) env { return e.with("WS_ALLOWED_ORIGINS", "*") },
			[]string{"WS_ALLOWED_ORIGINS allows any origin"}},
		{"wildcard CORS_ALLOWED_ORIGINS", func(e env) env { return e.with("CORS_ALLOWED_ORIGINS", "https://a.example.com,*") },
			[]string{"CORS_ALLOWED_ORIGINS allows any origin"}},
		{"no providers", func(e env) env {
			return e.without("LLM_PROVIDER_1_TYPE", "LLM_PROVIDER_1_MODEL", "LLM_PROVIDER_1_API_KEY")
		}, []string{"no LLM provider is configured", "demo model is for development only", "LLM_PROVIDER_1_TYPE=openai"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load("", tt.change(prodEnv(t)))
			checkErr(t, err, tt.want, "hunter2", testJWTSecret, testEncKey, testAPIKey, "aHVudGVyMg")
		})
	}
}

// TestProductionFromFile: the mode and the secrets may come from the file,
// and a short secret there is named by its TOML path.
func TestProductionFromFile(t *testing.T) {
	path := writeConfig(t, `env = "production"
[auth]
jwt_secret = "too-short"
`)
	_, err := load(path, prodEnv(t).without("CHATBOX_ENV", "JWT_SECRET"))
	checkErr(t, err, []string{"auth.jwt_secret in " + path + " is shorter than 32 bytes"}, "too-short")
}

// TestProductionNeverReadsDevSecrets: a dev-secrets.json left in the data
// dir must not stand in for production secrets.
func TestProductionNeverReadsDevSecrets(t *testing.T) {
	e := devEnv(t)
	if _, err := load("", e); err != nil { // creates dev-secrets.json
		t.Fatal(err)
	}
	_, err := load("", prodEnv(t).with("CHATBOX_DATA_DIR", e["CHATBOX_DATA_DIR"]).without("JWT_SECRET"))
	checkErr(t, err, []string{"JWT_SECRET is not set"})
}

// TestProductionTokenBudgetDefault: an unset LLM_DAILY_TOKEN_BUDGET caps
// each user's daily model cost in production and nowhere else; an explicit
// value, 0 (no budget) included, always wins.
func TestProductionTokenBudgetDefault(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want int
	}{
		{"production, unset", prodEnv(t), DefaultProductionTokenBudget},
		{"production, blank", prodEnv(t).with("LLM_DAILY_TOKEN_BUDGET", " "), DefaultProductionTokenBudget},
		{"production, set", prodEnv(t).with("LLM_DAILY_TOKEN_BUDGET", "5000"), 5000},
		{"production, 0 opts out", prodEnv(t).with("LLM_DAILY_TOKEN_BUDGET", "0"), 0},
		{"development, unset", devEnv(t), 0},
		{"development, set", devEnv(t).with("LLM_DAILY_TOKEN_BUDGET", "5000"), 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLoad(t, "", tt.env).LLM.DailyTokenBudget; got != tt.want {
				t.Errorf("DailyTokenBudget = %d, want %d", got, tt.want)
			}
		})
	}
	path := writeConfig(t, "[llm]\ndaily_token_budget = 7000\n")
	if got := mustLoad(t, path, prodEnv(t)).LLM.DailyTokenBudget; got != 7000 {
		t.Errorf("from the file: DailyTokenBudget = %d, want 7000", got)
	}
}

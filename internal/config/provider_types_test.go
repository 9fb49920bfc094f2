package config

import (
	"maps"
	"os"
	"strings"
	"testing"
	"time"
)

func TestProviderTypes(t *testing.T) {
	c := mustLoad(t, "", secretsEnv().with(
		"LLM_PROVIDER_1_ID", "gpt", "LLM_PROVIDER_1_TYPE", "openai", "LLM_PROVIDER_1_MODEL", "gpt-4o-mini", "LLM_PROVIDER_1_API_KEY", "sk-1",
		"LLM_PROVIDER_2_ID", "claude", "LLM_PROVIDER_2_TYPE", "Anthropic", "LLM_PROVIDER_2_MODEL", "claude-sonnet-4-5", "LLM_PROVIDER_2_API_KEY", "sk-ant-2",
		"LLM_PROVIDER_2_PRIORITY", "1",
		"LLM_PROVIDER_3_ID", "support", "LLM_PROVIDER_3_TYPE", "dify", "LLM_PROVIDER_3_ENDPOINT", "https://dify.example.com/v1", "LLM_PROVIDER_3_API_KEY", "app-3",
		"LLM_PROVIDER_3_PRIORITY", "2",
		"LLM_PROVIDER_4_ID", "claude-proxy", "LLM_PROVIDER_4_TYPE", "anthropic", "LLM_PROVIDER_4_ENDPOINT", "http://llm-gateway:4000", "LLM_PROVIDER_4_MODEL", "claude-haiku",
		"LLM_PROVIDER_4_PRIORITY", "3",
	))
	want := []Provider{
		{ID: "gpt", Name: "gpt", Type: TypeOpenAI, Endpoint: DefaultOpenAIEndpoint, Model: "gpt-4o-mini", APIKey: "sk-1", Timeout: 120 * time.Second},
		{ID: "claude", Name: "claude", Type: TypeAnthropic, Endpoint: DefaultAnthropicEndpoint, Model: "claude-sonnet-4-5", APIKey: "sk-ant-2", Timeout: 120 * time.Second, Priority: 1},
		// Dify's model is a label for metrics; the app picks its model.
		{ID: "support", Name: "support", Type: TypeDify, Endpoint: "https://dify.example.com/v1", Model: "support", APIKey: "app-3", Timeout: 120 * time.Second, Priority: 2},
		// A keyless gateway on the private network, like a local Ollama.
		{ID: "claude-proxy", Name: "claude-proxy", Type: TypeAnthropic, Endpoint: "http://llm-gateway:4000", Model: "claude-haiku", Timeout: 120 * time.Second, Priority: 3},
	}
	if len(c.LLM.Providers) != len(want) {
		t.Fatalf("providers = %+v", c.LLM.Providers)
	}
	for i := range want {
		if c.LLM.Providers[i] != want[i] {
			t.Errorf("provider %d:\n got %+v\nwant %+v", i, c.LLM.Providers[i], want[i])
		}
	}
}

func TestFailoverSwitch(t *testing.T) {
	tests := []struct {
		name string
		env  env
		file string
		want bool
	}{
		{"on by default", env{}, "", true},
		{"env off", env{"LLM_FAILOVER": "off"}, "", false},
		{"env FALSE", env{"LLM_FAILOVER": "FALSE"}, "", false},
		{"env 1", env{"LLM_FAILOVER": "1"}, "", true},
		{"toml boolean", env{}, "[llm]\nfailover = false\n", false},
		{"env wins over the file", env{"LLM_FAILOVER": "yes"}, "[llm]\nfailover = false\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeConfig(t, tt.file)
			}
			if got := mustLoad(t, path, secretsEnv().withAll(tt.env)).LLM.Failover; got != tt.want {
				t.Fatalf("Failover = %v, want %v", got, tt.want)
			}
		})
	}
	bad := []struct {
		env  env
		file string
		want string
	}{
		{env{"LLM_FAILOVER": "maybe"}, "", `LLM_FAILOVER="maybe": not a boolean (true or false)`},
		{env{}, "[llm]\nfailover = 1\n", "llm.failover in "},
		{env{"LLM_FIRST_TOKEN_TIMEOUT": "10ms"}, "", "LLM_FIRST_TOKEN_TIMEOUT"},
	}
	for _, tt := range bad {
		path := ""
		if tt.file != "" {
			path = writeConfig(t, tt.file)
		}
		_, err := load(path, secretsEnv().withAll(tt.env))
		checkErr(t, err, []string{tt.want})
	}
}

// TestREADMEProviderExamples loads the README's provider examples, the
// TOML tables together and the environment variables together, so the
// documentation cannot drift from what the code accepts.
func TestREADMEProviderExamples(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## LLM providers\n")
	if !ok {
		t.Fatal(`README.md has no "## LLM providers" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var tomls []string
	shell := env{}
	for _, block := range strings.Split(section, "```")[1:] {
		lang, body, _ := strings.Cut(block, "\n")
		switch lang {
		case "toml":
			tomls = append(tomls, body)
		case "sh":
			for _, line := range strings.Split(body, "\n") {
				for _, word := range shellWords(line) {
					if k, v, ok := strings.Cut(word, "="); ok {
						shell[k] = v
					}
				}
			}
		}
	}
	if len(tomls) < 4 || len(shell) < 20 {
		t.Fatalf("found %d TOML examples and %d variables; the section changed shape", len(tomls), len(shell))
	}
	keys := secretsEnv().with("LLM_PROVIDER_1_ID", "gpt", "LLM_PROVIDER_1_API_KEY", "sk-1",
		"LLM_PROVIDER_2_ID", "claude", "LLM_PROVIDER_2_API_KEY", "sk-ant-2",
		"LLM_PROVIDER_3_ID", "support", "LLM_PROVIDER_3_API_KEY", "app-3")
	fromFile := mustLoad(t, writeConfig(t, strings.Join(tomls, "\n")), keys)
	fromEnv := mustLoad(t, "", secretsEnv().withAll(shell))
	for _, c := range []*Config{fromFile, fromEnv} {
		types := map[string]string{}
		for _, p := range c.LLM.Providers {
			types[p.ID] = p.Type
		}
		want := map[string]string{"gpt": TypeOpenAI, "claude": TypeAnthropic, "support": TypeDify, "llama": TypeOpenAI, "vllm": TypeOpenAI}
		if !maps.Equal(types, want) {
			t.Errorf("providers %v, want %v", types, want)
		}
	}
}

// shellWords splits a line of the README's sh examples into words,
// honouring double quotes.
func shellWords(line string) []string {
	var (
		words  []string
		cur    strings.Builder
		quoted bool
	)
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

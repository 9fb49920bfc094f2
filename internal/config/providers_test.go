package config

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestProvidersFromEnv(t *testing.T) {
	c := mustLoad(t, "", secretsEnv().with(
		"LLM_PROVIDER_1_TYPE", "openai",
		"LLM_PROVIDER_1_MODEL", "gpt-4o-mini",
		"LLM_PROVIDER_1_API_KEY", testAPIKey,
		// gaps are allowed: no provider 2
		"LLM_PROVIDER_3_ID", "local",
		"LLM_PROVIDER_3_TYPE", "openai",
		"LLM_PROVIDER_3_ENDPOINT", "http://127.0.0.1:11434/v1",
		"LLM_PROVIDER_3_MODEL", "llama3.1",
		"LLM_PROVIDER_3_PRIORITY", "-1",
	))
	want := []Provider{
		{ID: "local", Name: "local", Type: "openai", Endpoint: "http://127.0.0.1:11434/v1", Model: "llama3.1", Timeout: 120 * time.Second, Priority: -1},
		{ID: "provider-1", Name: "provider-1", Type: "openai", Endpoint: DefaultOpenAIEndpoint, Model: "gpt-4o-mini", APIKey: testAPIKey, Timeout: 120 * time.Second},
	}
	if len(c.LLM.Providers) != len(want) {
		t.Fatalf("providers = %+v", c.LLM.Providers)
	}
	for i := range want {
		if c.LLM.Providers[i] != want[i] {
			t.Errorf("provider %d:\n got %+v\nwant %+v", i, c.LLM.Providers[i], want[i])
		}
	}
	if c.LLM.DefaultModel != "local" {
		t.Errorf("default model = %q, want the first by priority", c.LLM.DefaultModel)
	}
}

const twoFileProviders = `
[[llm.providers]]
id = "a"
type = "openai"
model = "model-a"
api_key = "key-a"
priority = 5

[[llm.providers]]
type = "openai"
model = "model-b"
api_key = "key-b"
priority = 5
`

func TestProviderEnvMerge(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string // id:model:priority, in order
	}{
		{"file only, stable order on equal priority", env{}, []string{"a:model-a:5", "provider-2:model-b:5"}},
		{"env by id overrides fields", env{"LLM_PROVIDER_7_ID": "a", "LLM_PROVIDER_7_MODEL": "model-a2"},
			[]string{"a:model-a2:5", "provider-2:model-b:5"}},
		{"env without id overrides the N-th file provider", env{"LLM_PROVIDER_2_PRIORITY": "1"},
			[]string{"provider-2:model-b:1", "a:model-a:5"}},
		{"env with the default id of a file provider", env{"LLM_PROVIDER_9_ID": "provider-2", "LLM_PROVIDER_9_MODEL": "m9"},
			[]string{"a:model-a:5", "provider-2:m9:5"}},
		{"env with a new id is added", env{"LLM_PROVIDER_1_ID": "c", "LLM_PROVIDER_1_TYPE": "openai", "LLM_PROVIDER_1_MODEL": "model-c",
			"LLM_PROVIDER_1_API_KEY": "key-c", "LLM_PROVIDER_1_PRIORITY": "0"},
			[]string{"c:model-c:0", "a:model-a:5", "provider-2:model-b:5"}},
		{"env beyond the file is added", env{"LLM_PROVIDER_3_TYPE": "openai", "LLM_PROVIDER_3_MODEL": "model-3", "LLM_PROVIDER_3_API_KEY": "k"},
			[]string{"provider-3:model-3:0", "a:model-a:5", "provider-2:model-b:5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, twoFileProviders)
			c := mustLoad(t, path, secretsEnv().withAll(tt.env))
			var got []string
			for _, p := range c.LLM.Providers {
				got = append(got, p.ID+":"+p.Model+":"+strconv.Itoa(p.Priority))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("providers = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	ok := env{"LLM_PROVIDER_1_TYPE": "openai", "LLM_PROVIDER_1_MODEL": "m", "LLM_PROVIDER_1_API_KEY": testAPIKey}
	tests := []struct {
		name string
		env  env
		file string
		want []string
	}{
		{"dify needs an endpoint", ok.with("LLM_PROVIDER_1_TYPE", "Dify"), "",
			[]string{`config: LLM_PROVIDER_1_ENDPOINT is required for dify provider "provider-1"`}},
		{"anthropic needs a model", ok.with("LLM_PROVIDER_1_TYPE", "anthropic").without("LLM_PROVIDER_1_MODEL"), "",
			[]string{`LLM_PROVIDER_1_MODEL is required for provider "provider-1"`}},
		{"http to a public dify", ok.with("LLM_PROVIDER_1_TYPE", "dify", "LLM_PROVIDER_1_ENDPOINT", "http://dify.example.com/v1"), "",
			[]string{`plain http to public host "dify.example.com"`}},
		{"unknown type", ok.with("LLM_PROVIDER_1_TYPE", "gemini"), "",
			[]string{`LLM_PROVIDER_1_TYPE: "gemini" is not a known provider type (supported: openai, anthropic or dify)`}},
		{"unknown type in file", env{}, "[[llm.providers]]\ntype = \"bard\"\n",
			[]string{`llm.providers[0].type in `, `"bard" is not a known provider type`}},
		{"type required", ok.without("LLM_PROVIDER_1_TYPE"), "",
			[]string{`LLM_PROVIDER_1_TYPE is required for provider "provider-1" (supported: openai, anthropic or dify)`}},
		{"model required", ok.without("LLM_PROVIDER_1_MODEL"), "",
			[]string{`LLM_PROVIDER_1_MODEL is required for provider "provider-1"`}},
		{"model required in file", env{}, "[[llm.providers]]\nid = \"x\"\ntype = \"openai\"\napi_key = \"sk-file-secret\"\n",
			[]string{`llm.providers[0].model in `, `is required for provider "x"`}},
		{"http to public host", ok.with("LLM_PROVIDER_1_ENDPOINT", "http://llm.example.com/v1"), "",
			[]string{`LLM_PROVIDER_1_ENDPOINT="http://llm.example.com/v1": plain http to public host "llm.example.com"`, "use https"}},
		{"http to public IP", ok.with("LLM_PROVIDER_1_ENDPOINT", "http://8.8.8.8/v1"), "",
			[]string{"plain http to public host"}},
		{"http to numeric single label", ok.with("LLM_PROVIDER_1_ENDPOINT", "http://134744072/v1"), "",
			[]string{"plain http to public host"}},
		{"endpoint password is masked", ok.with("LLM_PROVIDER_1_ENDPOINT", "http://u:hunter2@llm.example.com/v1"), "",
			[]string{"REDACTED@llm.example.com"}},
		{"duplicate ids", ok.with("LLM_PROVIDER_2_ID", "provider-1", "LLM_PROVIDER_2_TYPE", "openai", "LLM_PROVIDER_2_MODEL", "m2"), "",
			[]string{`LLM_PROVIDER_1_* and LLM_PROVIDER_2_* both configure provider "provider-1"`}},
		{"duplicate ids in file", env{}, "[[llm.providers]]\nid = \"x\"\ntype = \"openai\"\nmodel = \"m\"\napi_key = \"k\"\n[[llm.providers]]\nid = \"x\"\ntype = \"openai\"\nmodel = \"m\"\napi_key = \"k\"\n",
			[]string{`provider id "x" is used twice (llm.providers[0].id in `, "llm.providers[1].id in "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeConfig(t, tt.file)
			}
			_, err := load(path, secretsEnv().withAll(tt.env))
			checkErr(t, err, tt.want, testAPIKey, "hunter2", "sk-file-secret")
		})
	}
}

// The shipped ConfigMap configures every provider the guide's Secret names;
// a provider whose key the Secret lacks is left out with a warning naming
// the key, and a key nothing else configures is ignored with a warning.
func TestProvidersWithoutKeyAreSkippedWithAWarning(t *testing.T) {
	openAI := env{"LLM_PROVIDER_1_ID": "gpt", "LLM_PROVIDER_1_TYPE": "openai", "LLM_PROVIDER_1_MODEL": "gpt-4o-mini", "LLM_PROVIDER_1_API_KEY": testAPIKey}
	claude := env{"LLM_PROVIDER_2_ID": "claude", "LLM_PROVIDER_2_TYPE": "anthropic", "LLM_PROVIDER_2_MODEL": "claude-sonnet-4-5", "LLM_PROVIDER_2_PRIORITY": "1"}
	dify := env{"LLM_PROVIDER_3_ID": "dify", "LLM_PROVIDER_3_TYPE": "dify", "LLM_PROVIDER_3_PRIORITY": "2"}
	tests := []struct {
		name     string
		env      env
		file     string
		want     []string // provider ids served
		warnings []string // one substring per expected warning, in order
	}{
		{"every key present", openAI.withAll(claude).withAll(dify).with("LLM_PROVIDER_2_API_KEY", "sk-ant-k", "LLM_PROVIDER_3_API_KEY", "app-k", "LLM_PROVIDER_3_ENDPOINT", "https://dify.internal.test/v1"),
			"", []string{"gpt", "claude", "dify"}, nil},
		{"anthropic and dify keys absent", openAI.withAll(claude).withAll(dify),
			"", []string{"gpt"}, []string{
				`LLM provider "claude" skipped: LLM_PROVIDER_2_API_KEY is not set`,
				`LLM provider "dify" skipped: LLM_PROVIDER_3_API_KEY is not set`}},
		{"dify key absent on a private host", openAI.withAll(dify).with("LLM_PROVIDER_3_ENDPOINT", "http://dify-api/v1"),
			"", []string{"gpt"}, []string{`LLM provider "dify" skipped: LLM_PROVIDER_3_API_KEY is not set`}},
		{"openai key absent for the official API", openAI.without("LLM_PROVIDER_1_API_KEY").withAll(claude).with("LLM_PROVIDER_2_API_KEY", "sk-ant-k"),
			"", []string{"claude"}, []string{`LLM provider "gpt" skipped: LLM_PROVIDER_1_API_KEY is not set`}},
		{"key absent for a public https endpoint", openAI.without("LLM_PROVIDER_1_API_KEY").with("LLM_PROVIDER_1_ENDPOINT", "https://llm.example.com/v1"),
			"", nil, []string{`LLM provider "gpt" skipped: LLM_PROVIDER_1_API_KEY is not set`}},
		{"file provider without key", env{}, "[[llm.providers]]\nid = \"x\"\ntype = \"anthropic\"\nmodel = \"m\"\n",
			nil, []string{`LLM provider "x" skipped: llm.providers[0].api_key in `}},
		{"a lone key is ignored", openAI.with("LLM_PROVIDER_2_API_KEY", "sk-ant-k", "LLM_PROVIDER_3_API_KEY", "app-k"),
			"", []string{"gpt"}, []string{
				"LLM_PROVIDER_2_API_KEY is set but provider 2 is not configured",
				"LLM_PROVIDER_3_API_KEY is set but provider 3 is not configured"}},
		{"a lone key still completes the N-th file provider", env{"LLM_PROVIDER_1_API_KEY": "k"}, "[[llm.providers]]\nid = \"x\"\ntype = \"anthropic\"\nmodel = \"m\"\n",
			[]string{"x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeConfig(t, tt.file)
			}
			c := mustLoad(t, path, secretsEnv().withAll(tt.env))
			var ids []string
			for _, p := range c.LLM.Providers {
				ids = append(ids, p.ID)
			}
			if strings.Join(ids, " ") != strings.Join(tt.want, " ") {
				t.Errorf("providers = %q, want %q", ids, tt.want)
			}
			if len(c.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", c.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(c.Warnings[i], w) || strings.Contains(c.Warnings[i], "\n") {
					t.Errorf("warning %d = %q, want one line containing %q", i, c.Warnings[i], w)
				}
				for _, secret := range []string{testAPIKey, "sk-ant-k", "app-k"} {
					if strings.Contains(c.Warnings[i], secret) {
						t.Errorf("warning %q leaks a key", c.Warnings[i])
					}
				}
			}
		})
	}
}

// Skipping never hides the reason a production server has no model, or why
// LLM_DEFAULT_MODEL names nothing: the errors list what was skipped.
func TestSkippedProvidersAreNamedWhenNothingIsLeft(t *testing.T) {
	noKey := prodEnv(t).without("LLM_PROVIDER_1_API_KEY")
	_, err := load("", noKey)
	checkErr(t, err, []string{"no LLM provider is configured", `skipped for lack of an API key: "provider-1" (LLM_PROVIDER_1_API_KEY not set)`})

	_, err = load("", prodEnv(t).with("LLM_DEFAULT_MODEL", "claude",
		"LLM_PROVIDER_2_ID", "claude", "LLM_PROVIDER_2_TYPE", "anthropic", "LLM_PROVIDER_2_MODEL", "m"))
	checkErr(t, err, []string{"LLM_DEFAULT_MODEL", "no provider has this id", `"claude" (LLM_PROVIDER_2_API_KEY not set)`}, testAPIKey)

	// A production server with one provider left starts, and says why the
	// others are missing.
	c := mustLoad(t, "", prodEnv(t).with("LLM_PROVIDER_2_ID", "claude", "LLM_PROVIDER_2_TYPE", "anthropic", "LLM_PROVIDER_2_MODEL", "m"))
	if len(c.LLM.Providers) != 1 || len(c.Warnings) != 1 {
		t.Errorf("providers %+v, warnings %q", c.LLM.Providers, c.Warnings)
	}
}

func TestProviderEndpointsAccepted(t *testing.T) {
	endpoints := []string{
		"https://api.openai.com/v1",
		"https://llm.example.com:8443/v1?api-version=2024-06-01",
		"http://127.0.0.1:11434/v1",
		"http://localhost:11434/v1",
		"http://[::1]:8000/v1",
		"http://10.1.2.3/v1",
		"http://172.16.0.9/v1",
		"http://192.168.1.20:8080/v1",
		"http://169.254.10.10/v1",
		"http://ollama:11434/v1",
		"http://ollama.ai.svc:11434/v1",
		"http://vllm.models.svc.cluster.local/v1",
	}
	for _, ep := range endpoints {
		t.Run(ep, func(t *testing.T) {
			e := secretsEnv().with("LLM_PROVIDER_1_TYPE", "openai", "LLM_PROVIDER_1_MODEL", "m",
				"LLM_PROVIDER_1_API_KEY", "k", "LLM_PROVIDER_1_ENDPOINT", ep)
			if c := mustLoad(t, "", e); c.LLM.Providers[0].Endpoint != ep {
				t.Errorf("endpoint = %q", c.LLM.Providers[0].Endpoint)
			}
		})
	}
}

func TestLocalEndpointMayOmitAPIKey(t *testing.T) {
	for _, ep := range []string{"http://localhost:11434/v1", "https://10.0.0.5/v1", "http://ollama:11434/v1"} {
		e := secretsEnv().with("LLM_PROVIDER_1_TYPE", "openai", "LLM_PROVIDER_1_MODEL", "llama3.1", "LLM_PROVIDER_1_ENDPOINT", ep)
		if c := mustLoad(t, "", e); c.LLM.Providers[0].APIKey != "" {
			t.Errorf("%s: API key %q", ep, c.LLM.Providers[0].APIKey)
		}
	}
}

func TestIsLocalHost(t *testing.T) {
	tests := map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": true, "172.31.255.255": true,
		"192.168.0.1": true, "169.254.1.1": true, "fe80::1": true, "fd00::1": true, "::ffff:10.0.0.1": true,
		"localhost": true, "LOCALHOST.": true, "app.localhost": true, "ollama": true, "my-svc": true,
		"svc.ns.svc": true, "svc.ns.svc.cluster.local": true,
		"8.8.8.8": false, "172.32.0.1": false, "2001:4860::8888": false, "::ffff:8.8.8.8": false, "0.0.0.0": false,
		"example.com": false, "ollama.ai-team": false, "134744072": false, "0x08080808": false, "-bad": false, "": false,
	}
	for host, want := range tests {
		if got := isLocalHost(host); got != want {
			t.Errorf("isLocalHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestDefaultModel(t *testing.T) {
	e := secretsEnv().with(
		"LLM_PROVIDER_1_ID", "big", "LLM_PROVIDER_1_TYPE", "openai", "LLM_PROVIDER_1_MODEL", "m", "LLM_PROVIDER_1_API_KEY", "k", "LLM_PROVIDER_1_PRIORITY", "2",
		"LLM_PROVIDER_2_ID", "small", "LLM_PROVIDER_2_TYPE", "openai", "LLM_PROVIDER_2_MODEL", "m", "LLM_PROVIDER_2_API_KEY", "k", "LLM_PROVIDER_2_PRIORITY", "1",
	)
	if c := mustLoad(t, "", e); c.LLM.DefaultModel != "small" {
		t.Errorf("default = %q, want the lowest priority value", c.LLM.DefaultModel)
	}
	if c := mustLoad(t, "", e.with("LLM_DEFAULT_MODEL", "big")); c.LLM.DefaultModel != "big" {
		t.Errorf("default = %q, want the configured one", c.LLM.DefaultModel)
	}
	// Without providers the demo model applies; its id is not known here.
	if c := mustLoad(t, "", secretsEnv().with("LLM_DEFAULT_MODEL", "demo")); c.LLM.DefaultModel != "demo" {
		t.Errorf("default = %q", c.LLM.DefaultModel)
	}
}

package kubernetes

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/config"
)

// guideProviders are the models the guide's Secret hands keys to, by
// provider number: the ConfigMap must configure each one.
var guideProviders = map[int]string{1: config.TypeOpenAI, 2: config.TypeAnthropic, 3: config.TypeDify}

// Item 9 of issue 17: the guide's Secret sets LLM_PROVIDER_2_API_KEY and
// _3_, so the ConfigMap configures providers 2 and 3; with every key the
// pods serve all three models.
func TestConfigMapConfiguresEveryProviderTheSecretNames(t *testing.T) {
	template := secretTemplate(t)
	data := configMapData(t)
	for n, typ := range guideProviders {
		key := fmt.Sprintf("LLM_PROVIDER_%d_API_KEY", n)
		if _, ok := template[key]; !ok {
			t.Errorf("secret.yaml lacks %s, which the guide's Secret sets", key)
		}
		if got := data[fmt.Sprintf("LLM_PROVIDER_%d_TYPE", n)]; got != typ {
			t.Errorf("configmap.yaml LLM_PROVIDER_%d_TYPE = %q, want %q: the guide's Secret holds its key", n, got, typ)
		}
	}
	secrets := realisticSecrets(t)
	secrets["LLM_PROVIDER_2_API_KEY"] = "sk-ant-test-not-a-real-key"
	secrets["LLM_PROVIDER_3_API_KEY"] = "app-test-not-a-real-key"
	cfg, _, err := loadFrom(containerEnv(t, secrets))
	if err != nil {
		t.Fatalf("the server refuses the manifests with all three keys: %v", err)
	}
	var types []string
	for _, p := range cfg.LLM.Providers {
		types = append(types, p.Type)
	}
	if !slices.Equal(types, []string{config.TypeOpenAI, config.TypeAnthropic, config.TypeDify}) {
		t.Errorf("providers by priority = %q, want openai, anthropic, dify", types)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings with every key present: %q", cfg.Warnings)
	}
}

// A provider whose key chat-secrets lacks is skipped with a warning that
// names the key; the pods start with the others.
func TestProvidersWithoutAKeyInTheSecretAreSkipped(t *testing.T) {
	cfg, _, err := loadFrom(containerEnv(t, realisticSecrets(t))) // provider 1's key only
	if err != nil {
		t.Fatalf("the server refuses the manifests with LLM_PROVIDER_1_API_KEY only: %v", err)
	}
	if len(cfg.LLM.Providers) != 1 || cfg.LLM.Providers[0].Type != config.TypeOpenAI {
		t.Errorf("providers = %+v, want the OpenAI one only", cfg.LLM.Providers)
	}
	for _, key := range []string{"LLM_PROVIDER_2_API_KEY", "LLM_PROVIDER_3_API_KEY"} {
		found := slices.ContainsFunc(cfg.Warnings, func(w string) bool { return strings.Contains(w, key+" is not set") })
		if !found {
			t.Errorf("no start-up warning names %s: %q", key, cfg.Warnings)
		}
	}
}

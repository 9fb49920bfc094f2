package config

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Provider types.
const (
	// TypeOpenAI is OpenAI's chat completions API and every server
	// compatible with it (Ollama, vLLM, llama.cpp, gateways).
	TypeOpenAI = "openai"
	// TypeAnthropic is Anthropic's Messages API.
	TypeAnthropic = "anthropic"
	// TypeDify is a Dify app's chat-messages API.
	TypeDify = "dify"

	// DefaultOpenAIEndpoint is the Endpoint of an openai provider that sets none.
	DefaultOpenAIEndpoint = "https://api.openai.com/v1"
	// DefaultAnthropicEndpoint is the Endpoint of an anthropic provider
	// that sets none.
	DefaultAnthropicEndpoint = "https://api.anthropic.com"
)

// supportedTypes lists the provider types for messages.
const supportedTypes = TypeOpenAI + ", " + TypeAnthropic + " or " + TypeDify

// checkProviderType normalises the type; "" is left for the required-field
// check, which can name the key to set.
func checkProviderType(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", TypeOpenAI, TypeAnthropic, TypeDify:
		return s, nil
	}
	return "", showsValue{fmt.Errorf("%q is not a known provider type (supported: %s)", s, supportedTypes)}
}

// checkProviderID accepts ids that are safe in URLs, logs and JSON without
// escaping: 1-64 characters, letters, digits and - _ . : /, starting with a
// letter or digit. "" is left for the default.
func checkProviderID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	ok := len(s) <= 64 && isAlnum(rune(s[0]))
	for _, r := range s {
		ok = ok && (isAlnum(r) || strings.ContainsRune("-_.:/", r))
	}
	if !ok {
		return "", errors.New("not a provider id (1-64 letters, digits, - _ . : or /, starting with a letter or digit)")
	}
	return s, nil
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// providerInput is one provider's raw settings, merged from the file and
// the environment before parsing, so that the environment overrides single
// fields of a file provider rather than replacing it.
type providerInput struct {
	values    map[string]value // by TOML field name
	fileIndex int              // position among [[llm.providers]], -1 if none
	envN      int              // N of the LLM_PROVIDER_<N>_* merged into it, 0 if none
}

// number is the N used for the default id "provider-N".
func (in *providerInput) number() int {
	if in.fileIndex >= 0 {
		return in.fileIndex + 1
	}
	return in.envN
}

// id is the effective id, explicit or default.
func (in *providerInput) id() string {
	if v, ok := in.values["id"]; ok {
		if id := strings.TrimSpace(v.text); id != "" {
			return id
		}
	}
	return fmt.Sprintf("provider-%d", in.number())
}

// name says where field is (or would be) set, for messages about it.
func (in *providerInput) name(s spec[Provider], file string) string {
	field := providerField(s.key)
	if v, ok := in.values[field]; ok {
		return v.name()
	}
	if in.envN > 0 {
		return providerEnv(s.key, in.envN)
	}
	return fmt.Sprintf("llm.providers[%d].%s in %s", in.fileIndex, field, file)
}

// loadProviders reads providers from the file and the environment, merges
// them, applies defaults, validates them and sorts them by priority.
func loadProviders(tree *fileTree, lookup func(string) (string, bool)) ([]Provider, error) {
	specs := providerSpecs()
	inputs, err := fileProviders(tree, specs)
	if err != nil {
		return nil, err
	}
	inputs, err = mergeEnvProviders(inputs, specs, lookup)
	if err != nil {
		return nil, err
	}
	file := ""
	if tree != nil {
		file = tree.path
	}
	out := make([]Provider, 0, len(inputs))
	seen := map[string]*providerInput{}
	for _, in := range inputs {
		p, err := buildProvider(in, specs, file)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[p.ID]; dup {
			return nil, fmt.Errorf("config: provider id %q is used twice (%s and %s); ids must be unique",
				p.ID, prev.name(specs[0], file), in.name(specs[0], file))
		}
		seen[p.ID] = in
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out, nil
}

// fileProviders collects the [[llm.providers]] tables, checking each value.
func fileProviders(tree *fileTree, specs []spec[Provider]) ([]*providerInput, error) {
	if tree == nil {
		return nil, nil
	}
	tables, err := tree.providers()
	if err != nil {
		return nil, err
	}
	var inputs []*providerInput
	for i, table := range tables {
		in := &providerInput{values: map[string]value{}, fileIndex: i}
		for _, s := range specs {
			field := providerField(s.key)
			raw, ok := table[field]
			if !ok {
				continue
			}
			v, err := s.tomlValue(fmt.Sprintf("llm.providers[%d].%s", i, field), tree.path, raw)
			if err != nil {
				return nil, err
			}
			if err := s.set(&Provider{}, v); err != nil {
				return nil, v.fail(err)
			}
			in.values[field] = v
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// mergeEnvProviders applies LLM_PROVIDER_<N>_* for N = 1..maxEnvProviders.
// Provider N overrides the fields of the provider with its ID or, without an
// ID, of the N-th file provider; otherwise it is added. Two environment
// providers aimed at the same provider are an error, not a silent overwrite.
func mergeEnvProviders(inputs []*providerInput, specs []spec[Provider], lookup func(string) (string, bool)) ([]*providerInput, error) {
	files := len(inputs)
	for n := 1; n <= maxEnvProviders; n++ {
		values := map[string]value{}
		for _, s := range specs {
			env := providerEnv(s.key, n)
			text, ok := lookup(env)
			if !ok || strings.TrimSpace(text) == "" {
				continue
			}
			v := s.envValue(env, text)
			if err := s.set(&Provider{}, v); err != nil {
				return nil, v.fail(err)
			}
			values[providerField(s.key)] = v
		}
		if len(values) == 0 {
			continue
		}
		target := -1
		if v, ok := values["id"]; ok {
			for j, in := range inputs {
				if in.id() == strings.TrimSpace(v.text) {
					target = j
					break
				}
			}
		} else if n <= files {
			target = n - 1
		}
		if target < 0 {
			inputs = append(inputs, &providerInput{values: values, fileIndex: -1, envN: n})
			continue
		}
		in := inputs[target]
		if in.envN != 0 {
			return nil, fmt.Errorf("config: LLM_PROVIDER_%d_* and LLM_PROVIDER_%d_* both configure provider %q; give each its own LLM_PROVIDER_<N>_ID",
				in.envN, n, in.id())
		}
		in.envN = n
		for field, v := range values {
			in.values[field] = v
		}
	}
	return inputs, nil
}

// buildProvider parses one merged input, fills defaults and checks the
// fields that depend on each other.
func buildProvider(in *providerInput, specs []spec[Provider], file string) (Provider, error) {
	var p Provider
	bySpec := map[string]spec[Provider]{}
	for _, s := range specs {
		field := providerField(s.key)
		bySpec[field] = s
		v := s.envValue(providerEnv(s.key, in.number())+" (default)", s.key.Default)
		if got, ok := in.values[field]; ok {
			v = got
		}
		if err := s.set(&p, v); err != nil {
			return p, v.fail(err)
		}
	}
	if p.ID == "" {
		p.ID = in.id()
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	if p.Type == "" {
		return p, fmt.Errorf("config: %s is required for provider %q (supported: %s)", in.name(bySpec["type"], file), p.ID, supportedTypes)
	}
	if p.Type == TypeDify {
		return p, checkDify(&p, in, bySpec, file)
	}
	if p.Endpoint == "" {
		p.Endpoint = DefaultOpenAIEndpoint
		if p.Type == TypeAnthropic {
			p.Endpoint = DefaultAnthropicEndpoint
		}
	}
	if p.Model == "" {
		return p, fmt.Errorf("config: %s is required for provider %q (the model name the backend serves, e.g. gpt-4o-mini or claude-sonnet-4-5)", in.name(bySpec["model"], file), p.ID)
	}
	if p.APIKey == "" {
		// checkEndpoint has accepted the URL, so it parses.
		u, err := url.Parse(p.Endpoint)
		if err != nil || !isLocalHost(u.Hostname()) {
			return p, fmt.Errorf("config: %s is required for provider %q: only endpoints on loopback or private hosts may omit it", in.name(bySpec["api_key"], file), p.ID)
		}
	}
	return p, nil
}

// checkDify completes a dify provider. Dify is mostly self-hosted, so
// there is no default endpoint; every app authenticates with its own key,
// even on a private network; and the model is only a label, since the app
// chooses its model.
func checkDify(p *Provider, in *providerInput, bySpec map[string]spec[Provider], file string) error {
	if p.Endpoint == "" {
		return fmt.Errorf("config: %s is required for dify provider %q (the app's API base, e.g. https://dify.example.com/v1)", in.name(bySpec["endpoint"], file), p.ID)
	}
	if p.APIKey == "" {
		return fmt.Errorf("config: %s is required for dify provider %q (the app's API key, app-...)", in.name(bySpec["api_key"], file), p.ID)
	}
	if p.Model == "" {
		p.Model = p.ID
	}
	return nil
}

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

// skipped is a provider left out because its API key is absent: a
// deployment may configure every provider it could use and hand out keys
// for some of them only (the shipped ConfigMap configures OpenAI,
// Anthropic and Dify; the Secret holds the keys the operator has).
type skipped struct {
	id  string // the provider's effective id
	key string // where its key is (or would be) set
}

func (s skipped) Error() string {
	return fmt.Sprintf("LLM provider %q skipped: %s is not set", s.id, s.key)
}

// providerSet is what loadProviders found: the providers to serve, and
// those skipped or ignored, each with a one-line warning for the log.
type providerSet struct {
	providers []Provider
	skipped   []skipped
	warnings  []string
}

// skippedHint lists the skipped providers for error messages about having
// too few providers, or "" when none was skipped.
func (s providerSet) skippedHint() string {
	if len(s.skipped) == 0 {
		return ""
	}
	parts := make([]string, len(s.skipped))
	for i, sk := range s.skipped {
		parts[i] = fmt.Sprintf("%q (%s not set)", sk.id, sk.key)
	}
	return "; skipped for lack of an API key: " + strings.Join(parts, ", ")
}

// loadProviders reads providers from the file and the environment, merges
// them, applies defaults, validates them and sorts them by priority. A
// provider whose required API key is absent is skipped with a warning, not
// refused; any other problem is an error.
func loadProviders(tree *fileTree, lookup func(string) (string, bool)) (providerSet, error) {
	var set providerSet
	specs := providerSpecs()
	inputs, err := fileProviders(tree, specs)
	if err != nil {
		return set, err
	}
	inputs, set.warnings, err = mergeEnvProviders(inputs, specs, lookup)
	if err != nil {
		return set, err
	}
	file := ""
	if tree != nil {
		file = tree.path
	}
	out := make([]Provider, 0, len(inputs))
	seen := map[string]*providerInput{}
	for _, in := range inputs {
		p, err := buildProvider(in, specs, file)
		var skip skipped
		if errors.As(err, &skip) {
			set.skipped = append(set.skipped, skip)
			set.warnings = append(set.warnings, "config: "+skip.Error()+"; it is not offered to users")
			continue
		}
		if err != nil {
			return set, err
		}
		if prev, dup := seen[p.ID]; dup {
			return set, fmt.Errorf("config: provider id %q is used twice (%s and %s); ids must be unique",
				p.ID, prev.name(specs[0], file), in.name(specs[0], file))
		}
		seen[p.ID] = in
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	set.providers = out
	return set, nil
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
// A lone LLM_PROVIDER_<N>_API_KEY that configures nothing else is ignored
// with a warning: a Secret often holds keys for providers the ConfigMap
// does not (yet) configure.
func mergeEnvProviders(inputs []*providerInput, specs []spec[Provider], lookup func(string) (string, bool)) ([]*providerInput, []string, error) {
	var warnings []string
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
				return nil, nil, v.fail(err)
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
		if _, onlyKey := values["api_key"]; onlyKey && len(values) == 1 && target < 0 {
			warnings = append(warnings, fmt.Sprintf("config: LLM_PROVIDER_%d_API_KEY is set but provider %d is not configured (no LLM_PROVIDER_%d_TYPE, _MODEL...); the key is ignored",
				n, n, n))
			continue
		}
		if target < 0 {
			inputs = append(inputs, &providerInput{values: values, fileIndex: -1, envN: n})
			continue
		}
		in := inputs[target]
		if in.envN != 0 {
			return nil, nil, fmt.Errorf("config: LLM_PROVIDER_%d_* and LLM_PROVIDER_%d_* both configure provider %q; give each its own LLM_PROVIDER_<N>_ID",
				in.envN, n, in.id())
		}
		in.envN = n
		for field, v := range values {
			in.values[field] = v
		}
	}
	return inputs, warnings, nil
}

// buildProvider parses one merged input, fills defaults and checks the
// fields that depend on each other. A required API key that is absent is a
// skipped error, which loadProviders turns into a warning.
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
		// checkEndpoint has accepted the URL, so it parses. Only endpoints
		// on loopback or private hosts may omit the key.
		u, err := url.Parse(p.Endpoint)
		if err != nil || !isLocalHost(u.Hostname()) {
			return p, skipped{id: p.ID, key: in.name(bySpec["api_key"], file)}
		}
	}
	return p, nil
}

// checkDify completes a dify provider. Dify is mostly self-hosted, so
// there is no default endpoint; every app authenticates with its own key,
// even on a private network; and the model is only a label, since the app
// chooses its model.
// Without its key the provider is skipped, whatever else is missing.
func checkDify(p *Provider, in *providerInput, bySpec map[string]spec[Provider], file string) error {
	if p.APIKey == "" {
		return skipped{id: p.ID, key: in.name(bySpec["api_key"], file)}
	}
	if p.Endpoint == "" {
		return fmt.Errorf("config: %s is required for dify provider %q (the app's API base, e.g. https://dify.example.com/v1)", in.name(bySpec["endpoint"], file), p.ID)
	}
	if p.Model == "" {
		p.Model = p.ID
	}
	return nil
}

package config

import (
	"fmt"
	"strings"
)

// Redacted returns the effective settings for the start-up log line, keyed
// by environment variable name. Secrets appear as "set" or "unset" only;
// URLs have their passwords masked and system prompts are given by size.
// Providers appear as LLM_PROVIDERS[i] in priority order, the config file
// as CHATBOX_CONFIG, and Generated (if any) as GENERATED_SECRETS.
func (c *Config) Redacted() map[string]string {
	out := map[string]string{ConfigPathEnv: c.Source}
	for _, s := range configSpecs() {
		v := s.get(c)
		if s.key.Secret {
			v = setOrUnset(v != "")
		}
		out[s.key.Env] = v
	}
	specs := providerSpecs()
	for i := range c.LLM.Providers {
		p := &c.LLM.Providers[i]
		parts := make([]string, 0, len(specs))
		for _, s := range specs {
			v := s.get(p)
			if s.key.Secret {
				v = setOrUnset(v != "")
			}
			parts = append(parts, providerField(s.key)+"="+v)
		}
		out[fmt.Sprintf("LLM_PROVIDERS[%d]", i)] = strings.Join(parts, " ")
	}
	if len(c.Generated) > 0 {
		out["GENERATED_SECRETS"] = strings.Join(c.Generated, ",")
	}
	return out
}

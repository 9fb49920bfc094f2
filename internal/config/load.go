package config

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LoadOptions are the inputs of Load. The zero value reads no file and the
// process environment.
type LoadOptions struct {
	// Path of the TOML file (from --config or CHATBOX_CONFIG, see
	// ResolvePath); "" means no file.
	Path string
	// LookupEnv reads one environment variable; nil means os.LookupEnv.
	// Tests pass a map lookup to stay hermetic.
	LookupEnv func(string) (string, bool)
	// Rand is the source for generated development secrets; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// ReadOnlySecrets makes development mode read dev-secrets.json but
	// never create it: secrets neither set nor stored stay empty, and the
	// caller refuses to go on without the ones it needs (see
	// Config.DevSecrets). Helper commands such as `chatbox token` set it, so
	// they never sign with a secret no server knows.
	ReadOnlySecrets bool
}

// ResolvePath returns the config file path: the --config flag value if
// given, else CHATBOX_CONFIG, else "" (no file).
func ResolvePath(flagValue string, lookupEnv func(string) (string, bool)) string {
	if flagValue != "" {
		return flagValue
	}
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	p, _ := lookupEnv(ConfigPathEnv)
	return strings.TrimSpace(p)
}

// Load builds the configuration from defaults, then the file, then the
// environment (an environment variable set to "" or spaces counts as
// unset, as Kubernetes manifests often carry empty placeholders), and
// validates it. Every value present is checked, including file values the
// environment overrides, so a broken file cannot hide behind an override.
//
// The error, if any, is one line that names the key and its source and
// never contains a secret. In development, missing secrets are generated
// and persisted under DataDir (see Config.Generated and Config.DevSecrets).
func Load(opts LoadOptions) (*Config, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	random := opts.Rand
	if random == nil {
		random = rand.Reader
	}
	tree, err := readFile(opts.Path)
	if err != nil {
		return nil, err
	}
	c := &Config{Source: opts.Path}
	winners, err := applySpecs(c, configSpecs(), tree, lookup)
	if err != nil {
		return nil, err
	}
	providers, err := loadProviders(tree, lookup)
	if err != nil {
		return nil, err
	}
	c.LLM.Providers, c.Warnings = providers.providers, providers.warnings
	if err := resolveDerived(c, winners, providers.skippedHint()); err != nil {
		return nil, err
	}
	if c.Production() {
		if err := checkProduction(c, winners, providers.skippedHint()); err != nil {
			return nil, err
		}
		return c, nil
	}
	if err := fillDevSecrets(c, random, opts.ReadOnlySecrets); err != nil {
		return nil, err
	}
	return c, nil
}

// applySpecs sets every key from its default, then the file, then the
// environment, checking each value present. It returns, by env name, the
// value that won, so later checks can say where it came from.
func applySpecs(c *Config, specs []spec[Config], tree *fileTree, lookup func(string) (string, bool)) (map[string]value, error) {
	winners := make(map[string]value, len(specs))
	for _, s := range specs {
		v := s.envValue(s.key.Env+" (default)", s.key.Default)
		if err := s.set(c, v); err != nil {
			return nil, v.fail(err)
		}
		if raw, ok := tree.lookup(s.key.TOMLPath); ok {
			fv, err := s.tomlValue(s.key.TOMLPath, tree.path, raw)
			if err != nil {
				return nil, err
			}
			if err := s.set(c, fv); err != nil {
				return nil, fv.fail(err)
			}
			v = fv
		}
		if text, ok := lookup(s.key.Env); ok && strings.TrimSpace(text) != "" {
			ev := s.envValue(s.key.Env, text)
			if err := s.set(c, ev); err != nil {
				return nil, ev.fail(err)
			}
			v = ev
		}
		winners[s.key.Env] = v
	}
	return winners, nil
}

// resolveDerived fills defaults computed from other keys and checks
// cross-key rules. skippedHint ends a message about a missing provider id
// (see providerSet.skippedHint).
func resolveDerived(c *Config, winners map[string]value, skippedHint string) error {
	if c.Storage.SQLitePath == "" {
		c.Storage.SQLitePath = filepath.Join(c.DataDir, "chatbox.db")
	}
	resolveUploads(c)
	resolveBudget(c)
	if err := resolveNotify(c, winners); err != nil {
		return err
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
		if c.Production() {
			c.Log.Format = "json"
		}
	}
	if len(c.LLM.Providers) == 0 {
		// The demo model (development only) is defined outside this
		// package; its id cannot be checked here.
		return nil
	}
	if c.LLM.DefaultModel == "" {
		c.LLM.DefaultModel = c.LLM.Providers[0].ID
		return nil
	}
	ids := make([]string, len(c.LLM.Providers))
	for i, p := range c.LLM.Providers {
		if p.ID == c.LLM.DefaultModel {
			return nil
		}
		ids[i] = p.ID
	}
	return fmt.Errorf("config: %s: no provider has this id (ids: %s)%s",
		winners["LLM_DEFAULT_MODEL"].where(), strings.Join(ids, ", "), skippedHint)
}

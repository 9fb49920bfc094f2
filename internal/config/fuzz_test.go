package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadTOML feeds arbitrary file content to Load: it must never panic,
// errors must stay on one line, and the secrets set in the file must never
// appear in them.
func FuzzLoadTOML(f *testing.F) {
	f.Add(fullFile)
	f.Add(twoFileProviders)
	f.Add("")
	f.Add("port = = 1")
	f.Add("[server]\nport = 99999\n")
	f.Add("server = 5\n")
	f.Add("[llm]\nproviders = [1, {id = \"x\"}]\n")
	f.Add("[[llm.providers]]\ntype = \"anthropic\"\n")
	f.Add("[[llm.providers]]\ntype = \"openai\"\nendpoint = \"http://[::1\"\nmodel = \"m\"\n")
	f.Add("[auth]\njwt_secret = unquoted-hunter2\n")
	f.Add("[storage]\nencryption_key = \"////\"\n")
	f.Add("[websocket]\nallowed_origins = \"*,https://a\"\nping_interval = \"1ns\"\n")
	f.Add("env = \"production\"\n[log]\nformat = \"json\"\n")
	f.Add("a.b.c = 1\n[x.y]\nz = 1979-05-27T07:32:00Z\n")

	// One directory per process: a worker runs inputs one at a time, so the
	// file can be rewritten in place, sparing a temp dir per input.
	dir := f.TempDir()
	path := filepath.Join(dir, "fuzz.toml")
	f.Fuzz(func(t *testing.T, content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// The environment pins the data dir (the file must not choose where
		// Load writes) and both secrets (so Load never writes at all).
		e := env{"CHATBOX_DATA_DIR": dir, "JWT_SECRET": testJWTSecret, "ENCRYPTION_KEY": testEncKey}
		c, err := load(path, e)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("multi-line error: %q", msg)
			}
			msg = strings.ReplaceAll(msg, path, "")
			for _, secret := range fileSecrets(content) {
				if strings.Contains(msg, secret) {
					t.Errorf("error leaks secret %q: %q", secret, msg)
				}
			}
			return
		}
		if c.Server.Port < 1 || c.Server.Port > 65535 || c.WebSocket.SendQueue < 16 || c.Log.Format == "" {
			t.Errorf("accepted an invalid config: %+v", c)
		}
	})
}

// fileSecrets returns the values of the file's secret keys that are long
// enough to be recognisable and appear nowhere else in the file, so finding
// one in an error can only mean a leak.
func fileSecrets(content string) []string {
	tree, err := parseFile("fuzz.toml", content)
	if err != nil {
		return nil
	}
	var values []any
	for _, s := range configSpecs() {
		if v, ok := tree.lookup(s.key.TOMLPath); ok && s.key.Secret {
			values = append(values, v)
		}
	}
	tables, _ := tree.providers()
	for _, table := range tables {
		values = append(values, table["api_key"])
	}
	var out []string
	for _, v := range values {
		str, ok := v.(string)
		str = strings.TrimSpace(str)
		if ok && len(str) >= 8 && strings.Count(content, str) == 1 {
			out = append(out, str)
		}
	}
	return out
}

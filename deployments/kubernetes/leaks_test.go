package kubernetes

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// credentialPatterns match things that look like real credentials rather
// than placeholders.
var credentialPatterns = map[string]*regexp.Regexp{
	"API key":                  regexp.MustCompile(`\bsk-[A-Za-z0-9_-]{16,}`),
	"32-byte key (base64)":     regexp.MustCompile(`(?:^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{43}=`),
	"Twilio account SID":       regexp.MustCompile(`\bAC[0-9a-f]{32}\b`),
	"private key":              regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	"password in a URI":        regexp.MustCompile(`://[^:/\s"']+:[^@/\s"']+@`),
	"JWT":                      regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`),
	"cloud access key":         regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`),
	"long hexadecimal secret":  regexp.MustCompile(`\b[0-9a-f]{40,}\b`),
	"Slack or GitHub token":    regexp.MustCompile(`\b(?:xox[abp]|ghp|gho)_?-?[A-Za-z0-9]{20,}`),
	"Anthropic or Dify secret": regexp.MustCompile(`\b(?:sk-ant-api|app-)[A-Za-z0-9_-]{20,}`),
}

// isPlaceholder reports whether a match is an obvious stand-in, like
// sk-your-openai-api-key or mongodb://USER:PASSWORD@host.
func isPlaceholder(m string) bool {
	m = strings.ToLower(m)
	for _, word := range []string{"your", "password", "xxxx", "example", "replace"} {
		if strings.Contains(m, word) {
			return true
		}
	}
	return false
}

// Nothing under deployments/ (or the Dockerfile) may hold a credential:
// only placeholders such as REPLACE_ME, your-password or ACXXXX... .
func TestNoCredentialsInDeploymentFiles(t *testing.T) {
	files := []string{filepath.Join(repoRoot, "Dockerfile")}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, re := range credentialPatterns {
			for _, m := range re.FindAllString(string(data), -1) {
				if !isPlaceholder(m) {
					t.Errorf("%s holds something that looks like a credential (%s): %q", f, what, m)
				}
			}
		}
	}
}

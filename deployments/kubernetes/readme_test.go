package kubernetes

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const guide = "README.md"

// pendingEnv are environment names the original guide promises for
// features this build does not have yet, each with the feature. The guide
// may name them only to say so; once the server reads one, it moves to
// configmap.yaml or chat-secrets and leaves this list (a test says when).
var pendingEnv = map[string]string{}

// promisedLogLines are log messages the guide tells operators to grep for.
var promisedLogLines = []string{
	"MongoDB indexes created successfully",
	"MongoDB index not created; continuing without it and trying again later",
	"CORS middleware configured",
	"chatbox listening",
}

// promisedObjects are the object names operators type in the guide's
// commands, by kind.
var promisedObjects = map[string][]string{
	"Deployment":              {"chatbox-websocket"},
	"Service":                 {"chatbox-websocket", "nats", "nats-headless"},
	"Ingress":                 {"chatbox-websocket-ingress"},
	"HorizontalPodAutoscaler": {"chatbox-websocket-hpa"},
	"ConfigMap":               {"chat-config"},
	"StatefulSet":             {"nats"},
}

func readGuide(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGuideListsEveryFile(t *testing.T) {
	text := readGuide(t)
	overview := text[strings.Index(text, "## Files Overview"):strings.Index(text, "## Prerequisites")]
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^- `([^`]+)`").FindAllStringSubmatch(overview, -1) {
		listed[m[1]] = true
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("the guide lists %s, which does not exist", m[1])
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && !strings.HasSuffix(name, ".go") && !listed[name] {
			t.Errorf("%s is not in the guide's Files Overview", name)
		}
	}
}

// Every path, link, command target and object name in the guide exists.
func TestGuideReferencesExist(t *testing.T) {
	text := readGuide(t)
	for _, m := range regexp.MustCompile(`deployments/[A-Za-z0-9_./-]*[A-Za-z0-9_]`).FindAllString(text, -1) {
		if _, err := os.Stat(filepath.Join(repoRoot, m)); err != nil {
			t.Errorf("the guide names %s, which does not exist", m)
		}
	}
	for _, m := range regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(text, -1) {
		if strings.Contains(m[1], "://") {
			continue
		}
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("the guide links %s, which does not exist", m[1])
		}
	}
	objects := append(render(t, baseDir), loadFile(t, "hpa.yaml")...)
	for kind, names := range promisedObjects {
		for _, name := range names {
			if find(objects, kind, name) == nil {
				t.Errorf("the guide promises %s %s, which the manifests do not define", kind, name)
			}
			if !strings.Contains(text, name) {
				t.Errorf("the guide never names %s %s", kind, name)
			}
		}
	}
	for _, want := range []string{"kubectl apply -k deployments/kubernetes", "kubectl apply -k deployments/k3s", "./deployments/kubernetes/create-secrets.sh default"} {
		if !strings.Contains(text, want) {
			t.Errorf("the guide lost the command %q", want)
		}
	}
}

func TestGuideEnvNamesAreServerKeys(t *testing.T) {
	text := readGuide(t)
	_, looked, err := loadFrom(containerEnv(t, realisticSecrets(t)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, name := range regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_(?:[A-Z0-9]+|<N>))+\b`).FindAllString(text, -1) {
		// YOUR_JWT_TOKEN and the like are placeholders in commands.
		if seen[name] || strings.HasPrefix(name, "YOUR_") {
			continue
		}
		seen[name] = true
		_, known := keyFor(name)
		_, pending := pendingEnv[name]
		switch {
		case known && pending:
			t.Errorf("the server reads %s now: remove it from pendingEnv and add it to the manifests", name)
		case !known && !pending:
			t.Errorf("the guide names %s, which the server does not read", name)
		case known && !strings.Contains(name, "<N>") && !looked[name]:
			t.Errorf("the guide names %s, which the loader never looks up", name)
		}
	}
	for name, feature := range pendingEnv {
		if !seen[name] {
			t.Errorf("pendingEnv lists %s (%s), which the guide no longer names", name, feature)
		}
	}
}

func TestGuideMetricNamesAreExported(t *testing.T) {
	text := readGuide(t)
	exported := exportedMetrics(t)
	for _, name := range regexp.MustCompile(`\bchatbox_[a-z_]+\b`).FindAllString(text, -1) {
		if !exported[name] {
			t.Errorf("the guide names the metric %s, which the server does not export", name)
		}
	}
	for name := range podMetricTargets {
		if !strings.Contains(text, name) {
			t.Errorf("the guide does not name the HPA metric %s", name)
		}
	}
}

// Log lines and index names the guide tells operators to look for are
// what the code logs and creates.
func TestGuideLogLinesAreLogged(t *testing.T) {
	text := readGuide(t)
	source := goSource(t)
	for _, line := range promisedLogLines {
		if !strings.Contains(text, line) {
			t.Errorf("the guide no longer names the log line %q", line)
		}
		if !strings.Contains(source, `"`+line+`"`) {
			t.Errorf("the guide promises the log line %q, which no code logs", line)
		}
	}
	for _, index := range regexp.MustCompile("`(idx_[a-z_]+)`").FindAllStringSubmatch(text, -1) {
		if !strings.Contains(source, `"`+index[1]+`"`) {
			t.Errorf("the guide promises the index %s, which no code creates", index[1])
		}
	}
}

// goSource concatenates the server's non-test Go source.
func goSource(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, dir := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			data, err := os.ReadFile(p)
			b.Write(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// Every server path the guide names (/chat/..., /metrics) is a route: the
// real server answers it with something other than its 404 for unknown
// paths.
func TestGuideRoutesAreServed(t *testing.T) {
	text := readGuide(t)
	_, base := startServer(t)
	paths := regexp.MustCompile(`(?:localhost:8080|your-service)(/[A-Za-z0-9_/.-]*)`).FindAllStringSubmatch(text, -1)
	if len(paths) == 0 {
		t.Fatal("the guide names no server path")
	}
	var checked []string
	for _, m := range paths {
		path := m[1]
		if slices.Contains(checked, path) {
			continue
		}
		checked = append(checked, path)
		if status, body := get(t, base+path); status == http.StatusNotFound {
			t.Errorf("the guide names %s, which the server does not serve: %s", path, body)
		}
	}
}

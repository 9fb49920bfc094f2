package kubernetes

import (
	"debug/elf"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// dockerignore returns the patterns of .dockerignore as regular
// expressions over slash-separated paths relative to the context root,
// following Docker's rules: a pattern matches a path or any of its parent
// directories, * and ? stay within one path element, ** spans any number.
func dockerignore(t *testing.T) []*regexp.Regexp {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []*regexp.Regexp
	for _, line := range strings.Split(string(data), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		if strings.HasPrefix(p, "!") {
			t.Fatalf(".dockerignore: exceptions (%s) are not supported by this test", p)
		}
		p = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		re.WriteString("(/.*)?$")
		patterns = append(patterns, regexp.MustCompile(re.String()))
	}
	return patterns
}

func ignored(patterns []*regexp.Regexp, rel string) bool {
	for _, p := range patterns {
		if p.MatchString(rel) {
			return true
		}
	}
	return false
}

// buildContext copies what Docker would send as the build context into a
// temporary directory.
func buildContext(t *testing.T) string {
	t.Helper()
	patterns := dockerignore(t)
	dst := t.TempDir()
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(repoRoot, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if ignored(patterns, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func TestDockerignoreKeepsSecretsAndClutterOut(t *testing.T) {
	patterns := dockerignore(t)
	for _, rel := range []string{".git", ".git/config", "data", "data/dev-secrets.json", "deployments/kubernetes/secret.yaml", "internal/config/load_test.go", "chatbox"} {
		if !ignored(patterns, rel) {
			t.Errorf(".dockerignore sends %s to the build", rel)
		}
	}
	for _, rel := range []string{"go.mod", "go.sum", "cmd/chatbox/main.go", "internal/store/sqlite/migrations/0001_init.sql"} {
		if ignored(patterns, rel) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", rel)
		}
	}
}

// The image cannot be built here (no Docker engine), so this runs the
// Dockerfile's own go build command, as written, in a copy of the build
// context .dockerignore leaves, and checks the result: a static ELF (no
// interpreter, no dynamic section) that reports the injected version.
func TestDockerBuildMakesAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary")
	}
	sh := lookPath(t, "sh")
	_, cmd := buildCommand(t)
	dir := buildContext(t)
	run := exec.Command(sh, "-c", cmd)
	run.Dir = dir
	const version = "v9.9.9-manifest-test"
	// As in the build stage: the ARG is in the environment; GOARCH is the
	// builder's own, as in a docker build on this machine. The module
	// cache is already filled (CI runs go mod download): no network.
	run.Env = append(os.Environ(), "VERSION="+version, "GOARCH="+runtime.GOARCH, "GOPROXY=off")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("%s\n%v\n%s", cmd, err, out)
	}
	m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(cmd)
	binary := filepath.Join(dir, filepath.FromSlash(m[1]))

	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%v); it cannot run on an empty base image", p.Type)
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Error("the binary has a dynamic section")
	}

	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", binary, err, out)
	}
	if !strings.Contains(string(out), version) {
		t.Errorf("%s version = %q; -X main.version did not reach the binary", binary, out)
	}
}

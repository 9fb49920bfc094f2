package kubernetes

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the Docker build context: the repository root.
const repoRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case, e.g. "RUN"
	args string
	line int
}

// stage is one FROM and the instructions after it.
type stage struct {
	base, name string
	body       []instruction
}

func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var pending strings.Builder
	start := 0
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if pending.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if pending.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, "\\") {
			pending.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		pending.WriteString(trimmed)
		cmd, args, _ := strings.Cut(pending.String(), " ")
		pending.Reset()
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			s := stage{base: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.name = fields[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile:%d: %s before FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); build and runtime must be separate stages", len(stages))
	}
	return stages
}

// only returns the single instruction cmd of s whose arguments contain
// substr.
func (s stage) only(t *testing.T, cmd, substr string) instruction {
	t.Helper()
	var found []instruction
	for _, in := range s.body {
		if in.cmd == cmd && strings.Contains(in.args, substr) {
			found = append(found, in)
		}
	}
	if len(found) != 1 {
		t.Fatalf("stage %s: want one %s containing %q, found %d", s.base, cmd, substr, len(found))
	}
	return found[0]
}

// buildCommand returns the build stage and its go build RUN command.
func buildCommand(t *testing.T) (stage, string) {
	t.Helper()
	for _, s := range parseDockerfile(t) {
		for _, in := range s.body {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				return s, in.args
			}
		}
	}
	t.Fatal("Dockerfile runs no go build")
	return stage{}, ""
}

// imageUser returns the numeric user the image runs as.
func imageUser(t *testing.T) int64 {
	t.Helper()
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]
	user := final.only(t, "USER", "")
	uid, _, _ := strings.Cut(user.args, ":")
	n, err := strconv.ParseInt(uid, 10, 64)
	if err != nil {
		t.Fatalf("Dockerfile:%d: USER %s is not numeric; Kubernetes cannot check runAsNonRoot by name", user.line, user.args)
	}
	return n
}

func TestDockerfileStages(t *testing.T) {
	stages := parseDockerfile(t)
	names := map[string]bool{}
	for _, s := range stages {
		if names[s.base] || s.base == "scratch" {
			names[s.name] = true
			continue
		}
		image := s.base[strings.LastIndex(s.base, "/")+1:]
		_, tag, ok := strings.Cut(image, ":")
		if !ok || tag == "latest" {
			t.Errorf("FROM %s is not pinned to a tag", s.base)
		}
		names[s.name] = true
	}

	// The build stage's Go is go.mod's minor version.
	build, _ := buildCommand(t)
	goVersion := goModVersion(t)
	wantPrefix := "golang:" + majorMinor(goVersion) + "."
	if !strings.HasPrefix(build.base, wantPrefix) && build.base != "golang:"+majorMinor(goVersion) {
		t.Errorf("build stage FROM %s; go.mod needs Go %s (want %s*)", build.base, goVersion, wantPrefix)
	}

	final := stages[len(stages)-1]
	if final.base != "scratch" {
		t.Errorf("runtime stage FROM %s; the static binary needs no base image, and no shell belongs in it", final.base)
	}
	if imageUser(t) == 0 {
		t.Error("the image runs as root")
	}
	for _, s := range stages {
		for _, in := range s.body {
			if in.cmd == "HEALTHCHECK" {
				t.Errorf("Dockerfile:%d: HEALTHCHECK; Kubernetes probes do that (and a scratch image has nothing to run it with)", in.line)
			}
		}
	}
}

func TestDockerfileRuntime(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]
	env := map[string]string{}
	for _, in := range final.body {
		if in.cmd == "ENV" {
			for _, kv := range strings.Fields(in.args) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
	}
	if env["CHATBOX_ENV"] != "production" {
		t.Errorf("image ENV CHATBOX_ENV = %q, want production", env["CHATBOX_ENV"])
	}
	_, c := chatbox(t)
	for _, e := range c.Env {
		if e.Name == "CHATBOX_DATA_DIR" && e.Value != env["CHATBOX_DATA_DIR"] {
			t.Errorf("image CHATBOX_DATA_DIR %q differs from the Deployment's %q", env["CHATBOX_DATA_DIR"], e.Value)
		}
	}
	dataDir := final.only(t, "COPY", " "+env["CHATBOX_DATA_DIR"])
	if !strings.Contains(dataDir.args, "--chown="+strconv.FormatInt(imageUser(t), 10)+":") {
		t.Errorf("Dockerfile:%d: the data directory is not owned by the image's user", dataDir.line)
	}
	if expose := final.only(t, "EXPOSE", ""); expose.args != defaultOf(t, "SERVER_PORT") {
		t.Errorf("EXPOSE %s, the server listens on %s", expose.args, defaultOf(t, "SERVER_PORT"))
	}

	// ENTRYPOINT, in exec form, runs the binary the build stage made.
	var entrypoint []string
	ep := final.only(t, "ENTRYPOINT", "")
	if err := json.Unmarshal([]byte(ep.args), &entrypoint); err != nil || len(entrypoint) == 0 {
		t.Fatalf("Dockerfile:%d: ENTRYPOINT %s is not in exec form (a JSON array): signals would go to a shell", ep.line, ep.args)
	}
	build, cmd := buildCommand(t)
	out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(cmd)
	if out == nil {
		t.Fatal("go build has no -o")
	}
	binary := path.Join(build.only(t, "WORKDIR", "").args, out[1])
	from := "--from=" + build.name + " " + binary + " " + entrypoint[0]
	final.only(t, "COPY", from)
}

func TestDockerfileBuildCommand(t *testing.T) {
	_, cmd := buildCommand(t)
	for _, want := range []string{"CGO_ENABLED=0", "-ldflags=", "-X main.version=${VERSION}", "-trimpath", "./cmd/chatbox"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("go build command lacks %s: %s", want, cmd)
		}
	}
}

// goMod returns go.mod's text.
func goMod(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// goModVersion returns go.mod's go directive, e.g. "1.26.0".
func goModVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(goMod(t))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return m[1]
}

// moduleVersion returns the version go.mod requires of module.
func moduleVersion(t *testing.T, module string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(module) + `\s+(v\S+)`).FindStringSubmatch(goMod(t))
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	return m[1]
}

// majorMinor turns "1.26.0" or "v2.15.2" into "1.26" or "2.15".
func majorMinor(v string) string {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return parts[0]
	}
	return parts[0] + "." + parts[1]
}

package main

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/config"
)

// devServerEnv clears every setting that could hand the server or the
// token command a secret, so both rely on development secrets.
func devServerEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"JWT_SECRET", "ENCRYPTION_KEY", "ENCRYPTION_KEYS_OLD", config.ConfigPathEnv,
		dataDirEnv, "MONGO_URI", "UPLOAD_DIR", "CHATBOX_ENV"} {
		t.Setenv(name, "") // blank counts as unset
	}
}

// acceptedBy reports whether the server lets a WebSocket in with tok: a
// 401 means it rejects the token's signature.
func acceptedBy(t *testing.T, s *testServer, tok string) bool {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitLimit}
	conn, resp, err := d.Dial(s.ws+"?token="+tok, nil)
	if resp != nil && resp.StatusCode == http.StatusUnauthorized {
		return false
	}
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(waitLimit))
	var f map[string]any
	if err := conn.ReadJSON(&f); err != nil || f["type"] != "connection_status" || f["user_id"] != "alice" {
		t.Fatalf("first frame %v (%v), want connection_status for alice", f, err)
	}
	return true
}

// secretFiles lists every dev-secrets.json under root.
func secretFiles(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "dev-secrets.json" {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// hintArgs turns the server's get_a_token hint into the token command's
// arguments, as a user pasting it would run them.
func hintArgs(t *testing.T, hint string) []string {
	t.Helper()
	command, _, _ := strings.Cut(hint, "   (")
	fields := strings.Fields(command)
	if len(fields) < 4 || strings.Join(fields[:3], " ") != "go run ./cmd/chatbox" {
		t.Fatalf("hint %q does not start with go run ./cmd/chatbox", hint)
	}
	return fields[3:]
}

// TestTokenFromAnyDirectoryIsAcceptedOrRefusedClearly starts a
// development server in a project directory (dev-secrets.json under its
// ./data, or under a custom CHATBOX_DATA_DIR), runs the token command from
// other directories, and presents each token to the server. A token is
// either accepted or not printed at all, with a refusal naming the file
// looked for and how to point at the right one; and no run ever creates
// a secrets file.
func TestTokenFromAnyDirectoryIsAcceptedOrRefusedClearly(t *testing.T) {
	type attempt struct {
		name    string
		dir     string // relative to the project; "elsewhere" is outside it
		dataDir string // CHATBOX_DATA_DIR for the token command
		args    []string
		refusal []string // empty: the token must be accepted
	}
	tests := []struct {
		name          string
		serverDataDir string // "" for the default ./data
		hintDir       string // where the server's printed command is run
		attempts      func(project, serverData string) []attempt
	}{
		{
			name:    "default data dir",
			hintDir: ".", // the README's directory; elsewhere it is refused, as above
			attempts: func(project, serverData string) []attempt {
				want := filepath.Join(serverData, "dev-secrets.json")
				return []attempt{
					{name: "in the server's directory", dir: "."},
					{name: "below it", dir: "cmd", refusal: []string{
						filepath.Join(project, "cmd", "data", "dev-secrets.json"), "--data-dir", "CHATBOX_DATA_DIR", "--config", "JWT_SECRET",
						"Found " + want + ": if that is the server's, add --data-dir " + serverData}},
					{name: "below it with --data-dir", dir: "cmd", args: []string{"--data-dir", "../data"}},
					{name: "below it with CHATBOX_DATA_DIR", dir: "cmd", dataDir: "../data"},
					{name: "elsewhere", dir: "elsewhere", refusal: []string{"does not exist", "--data-dir"}},
					{name: "elsewhere with --data-dir", dir: "elsewhere", args: []string{"--data-dir", serverData}},
				}
			},
		},
		{
			name:          "custom CHATBOX_DATA_DIR",
			serverDataDir: "custom-data",
			hintDir:       "elsewhere",
			attempts: func(project, serverData string) []attempt {
				return []attempt{
					{name: "same CHATBOX_DATA_DIR, elsewhere", dir: "elsewhere", dataDir: serverData},
					{name: "CHATBOX_DATA_DIR forgotten", dir: ".", refusal: []string{
						filepath.Join(project, "data", "dev-secrets.json"), "--data-dir", "CHATBOX_DATA_DIR"}},
					{name: "CHATBOX_DATA_DIR forgotten, elsewhere", dir: "elsewhere", refusal: []string{"--data-dir"}},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			devServerEnv(t)
			root := t.TempDir()
			project := filepath.Join(root, "project")
			for _, d := range []string{filepath.Join(project, "cmd"), filepath.Join(root, "elsewhere")} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			serverData := filepath.Join(project, "data")
			if tt.serverDataDir != "" {
				serverData = filepath.Join(root, tt.serverDataDir)
				t.Setenv(dataDirEnv, serverData)
			}
			// The server opens its database by an absolute path: the
			// test changes directory while it runs.
			t.Setenv("SQLITE_PATH", filepath.Join(serverData, "chatbox.db"))
			t.Chdir(project)
			srv := startServer(t)
			cfg, err := loadConfig("")
			if err != nil {
				t.Fatal(err)
			}
			hint := tokenCommand(cfg, os.LookupEnv)
			attempts := append(tt.attempts(project, serverData),
				attempt{name: "the server's hint", dir: tt.hintDir, args: hintArgs(t, hint)[3:]})

			for _, a := range attempts {
				t.Run(a.name, func(t *testing.T) {
					dir := filepath.Join(project, a.dir)
					if a.dir == "elsewhere" {
						dir = filepath.Join(root, "elsewhere")
					}
					t.Chdir(dir)
					t.Setenv(dataDirEnv, a.dataDir)
					var out, errb bytes.Buffer
					err := run(append([]string{"token", "--user", "alice"}, a.args...), &out, &errb)
					if len(a.refusal) > 0 {
						if err == nil || out.Len() > 0 {
							t.Fatalf("token printed %q (err %v), want a refusal", out.String(), err)
						}
						for _, want := range a.refusal {
							if !strings.Contains(err.Error(), want) {
								t.Errorf("refusal %q does not say %q", err, want)
							}
						}
						return
					}
					if err != nil {
						t.Fatalf("token: %v", err)
					}
					if want := "the development JWT_SECRET stored in " + filepath.Join(serverData, "dev-secrets.json"); !strings.Contains(errb.String(), want) {
						t.Errorf("stderr %q does not say %q", errb.String(), want)
					}
					if !acceptedBy(t, srv, strings.TrimSpace(out.String())) {
						t.Errorf("the server rejected the token minted in %s with %v", a.dir, a.args)
					}
				})
			}
			if got, want := secretFiles(t, root), []string{filepath.Join(serverData, "dev-secrets.json")}; !slices.Equal(got, want) {
				t.Errorf("secrets files %q, want only the server's %q", got, want)
			}
		})
	}
}

func TestServerHintNamesTheSettingsThatChooseTheSecret(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	withSecret := func(name string) (string, bool) { return "x", name == "JWT_SECRET" }
	dev := []string{"JWT_SECRET", "ENCRYPTION_KEY"}
	tests := []struct {
		name string
		cfg  config.Config
		env  func(string) (string, bool)
		want string
	}{
		{"defaults", config.Config{DataDir: "data", Generated: dev}, noEnv,
			"go run ./cmd/chatbox token --user alice   (add --admin for an admin)"},
		{"custom data dir, made absolute", config.Config{DataDir: "var/chat", Generated: dev}, noEnv,
			"go run ./cmd/chatbox token --user alice --data-dir " + filepath.Join(wd, "var/chat") + "   (add --admin for an admin)"},
		{"config file", config.Config{DataDir: "/srv/chat data", Source: "/etc/chatbox.toml", Generated: dev}, noEnv,
			"go run ./cmd/chatbox token --user alice --config /etc/chatbox.toml --data-dir '/srv/chat data'   (add --admin for an admin)"},
		{"secret from the environment", config.Config{DataDir: "data", Generated: []string{"ENCRYPTION_KEY"}}, withSecret,
			"go run ./cmd/chatbox token --user alice   (add --admin for an admin; with this server's JWT_SECRET in the environment)"},
	}
	for _, tt := range tests {
		if got := tokenCommand(&tt.cfg, tt.env); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestDefaultDataDirMatchesTheConfigDefault(t *testing.T) {
	for _, k := range config.Keys() {
		if k.Env == dataDirEnv && filepath.Clean(k.Default) != defaultDataDir {
			t.Errorf("%s defaults to %q, the hint assumes %q", dataDirEnv, k.Default, defaultDataDir)
		}
	}
}

// TestDevSecretsAnnouncedAsGeneratedOnlyWhenGenerated: the first start says
// loudly that it generated secrets; later starts say quietly which file
// they reuse.
func TestDevSecretsAnnouncedAsGeneratedOnlyWhenGenerated(t *testing.T) {
	devServerEnv(t)
	dir := t.TempDir()
	t.Setenv(dataDirEnv, dir)
	file := filepath.Join(dir, "dev-secrets.json")
	for i, want := range []string{
		"level=WARN msg=\"DEVELOPMENT MODE: generated secrets",
		"level=INFO msg=\"development mode: using the secrets stored by an earlier start\" keys=JWT_SECRET,ENCRYPTION_KEY file=" + file,
	} {
		cfg, err := loadConfig("")
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		announceDevSecrets(slog.New(slog.NewTextHandler(&logs, nil)), cfg)
		if !strings.Contains(logs.String(), want) || strings.Count(logs.String(), "\n") != 1 {
			t.Errorf("start %d logged %q, want one line with %q", i+1, logs.String(), want)
		}
	}
	t.Setenv("JWT_SECRET", cmdTestSecret)
	t.Setenv("ENCRYPTION_KEY", testKey("A"))
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	announceDevSecrets(slog.New(slog.NewTextHandler(&logs, nil)), cfg)
	if logs.Len() > 0 {
		t.Errorf("logged %q with both secrets set", logs.String())
	}
}

// TestHelpPrintsUsageAndSucceeds: -h and --help are requests, not errors.
func TestHelpPrintsUsageAndSucceeds(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-h"}, "commands:"},
		{[]string{"--help"}, "commands:"},
		{[]string{"help"}, "commands:"},
		{[]string{"serve", "-h"}, "usage: chatbox [serve] [--config FILE]"},
		{[]string{"token", "--help"}, "-data-dir"},
		{[]string{"rekey", "-h"}, "usage: chatbox rekey"},
		{[]string{"migrate", "--help"}, "usage: chatbox migrate"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if err := run(tt.args, &out, &errb); err != nil {
			t.Errorf("run(%v) = %v, want nil", tt.args, err)
		}
		if text := out.String() + errb.String(); !strings.Contains(text, tt.want) || strings.Contains(text, "help requested") {
			t.Errorf("run(%v) printed %q, want usage with %q", tt.args, text, tt.want)
		}
	}
}

// TestRekeyNeverGeneratesAKey: a rekey run that finds no ENCRYPTION_KEY
// refuses instead of "re-encrypting" under a new development key.
func TestRekeyNeverGeneratesAKey(t *testing.T) {
	devServerEnv(t)
	dir := t.TempDir()
	t.Setenv(dataDirEnv, dir)
	var out, errb bytes.Buffer
	err := run([]string{"rekey"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "no ENCRYPTION_KEY") || !strings.Contains(err.Error(), filepath.Join(dir, "dev-secrets.json")) {
		t.Fatalf("rekey without a key: %v, want a refusal naming the file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev-secrets.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rekey created development secrets (stat: %v)", err)
	}
}

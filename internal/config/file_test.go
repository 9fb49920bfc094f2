package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnknownTOMLKeys(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"top level", "prot = 80\n", []string{"unknown keys: prot"}},
		{"in table", "[server]\nprot = 80\nport = 80\n", []string{"unknown keys: server.prot"}},
		{"unknown table", "[serverr]\nport = 80\n", []string{"unknown keys: serverr"}},
		{"several, sorted", "zeta = 1\n[log]\nlevl = \"x\"\n", []string{"unknown keys: log.levl, zeta"}},
		{"provider field", "[[llm.providers]]\nid = \"a\"\napikey = \"k\"\n", []string{"unknown keys: llm.providers[0].apikey"}},
		{"inline providers", "[llm]\nproviders = [{ id = \"a\", modle = \"m\" }]\n", []string{"llm.providers[0].modle"}},
		{"hostile key stays on one line", "\"a\\nb\" = 1\n", []string{`unknown keys: "a\nb"`}},
		{"many keys are capped", "a1=1\na2=1\na3=1\na4=1\na5=1\na6=1\na7=1\na8=1\na9=1\nb1=1\nb2=1\nb3=1\n", []string{"and 2 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(path, secretsEnv())
			checkErr(t, err, append(tt.want, path))
		})
	}
}

func TestTOMLSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
		secret     string
	}{
		{"plain syntax error", "[server]\nport = = 1\n", []string{"invalid TOML at line 2", "server.port"}, ""},
		{"unquoted secret is not echoed", "[auth]\njwt_secret = hunter2hunter2\n", []string{"invalid TOML at line 2", "auth.jwt_secret"}, "hunter2"},
		{"unquoted api key is not echoed", "[[llm.providers]]\napi_key = sk-abcdefsecret\n", []string{"invalid TOML at line 2"}, "sk-abcdefsecret"},
		{"duplicate key", "[server]\nport = 1\nport = 2\n", []string{"invalid TOML at line 3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(path, secretsEnv())
			checkErr(t, err, append(tt.want, path), tt.secret, "hunter2")
		})
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.toml")
	_, err := load(path, secretsEnv())
	checkErr(t, err, []string{"reading config file", path})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestEmptyFile(t *testing.T) {
	path := writeConfig(t, "# nothing set\n")
	c := mustLoad(t, path, secretsEnv())
	if c.Source != path || c.Server.Port != 8080 {
		t.Errorf("empty file: Source %q, port %d", c.Source, c.Server.Port)
	}
}

func TestResolvePath(t *testing.T) {
	tests := []struct {
		flag string
		env  env
		want string
	}{
		{"", env{}, ""},
		{"", env{"CHATBOX_CONFIG": "/etc/chatbox.toml"}, "/etc/chatbox.toml"},
		{"/flag.toml", env{"CHATBOX_CONFIG": "/etc/chatbox.toml"}, "/flag.toml"},
		{"", env{"CHATBOX_CONFIG": "  "}, ""},
	}
	for _, tt := range tests {
		if got := ResolvePath(tt.flag, tt.env.lookup); got != tt.want {
			t.Errorf("ResolvePath(%q, %v) = %q, want %q", tt.flag, tt.env, got, tt.want)
		}
	}
}

func TestPathPrefixNormalised(t *testing.T) {
	tests := map[string]string{
		"chat":      "/chat",
		"/chat/":    "/chat",
		"//chat//":  "/chat",
		"/":         "",
		"/api/v1":   "/api/v1",
		" /x-y_z~ ": "/x-y_z~",
	}
	for in, want := range tests {
		c := mustLoad(t, "", secretsEnv().with("CHATBOX_PATH_PREFIX", in))
		if c.Server.PathPrefix != want {
			t.Errorf("CHATBOX_PATH_PREFIX=%q: got %q, want %q", in, c.Server.PathPrefix, want)
		}
	}
}

func TestOriginsNormalised(t *testing.T) {
	c := mustLoad(t, "", secretsEnv().with("WS_ALLOWED_ORIGINS",
		"HTTPS://Chat.Example.COM/, http://localhost:3000,,https://*.example.com,capacitor://localhost"))
	want := []string{"https://chat.example.com", "http://localhost:3000", "https://*.example.com", "capacitor://localhost"}
	if strings.Join(c.WebSocket.AllowedOrigins, " ") != strings.Join(want, " ") {
		t.Errorf("origins = %q, want %q", c.WebSocket.AllowedOrigins, want)
	}
}

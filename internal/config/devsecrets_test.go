package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDevSecretsGeneratedAndReused(t *testing.T) {
	e := devEnv(t)
	dir := filepath.Join(e["CHATBOX_DATA_DIR"], "nested") // not created yet
	e = e.with("CHATBOX_DATA_DIR", dir)

	first := mustLoad(t, "", e)
	if !slices.Equal(first.Generated, []string{"JWT_SECRET", "ENCRYPTION_KEY"}) {
		t.Errorf("Generated = %q", first.Generated)
	}
	if len(first.Auth.JWTSecret) < minJWTSecret || len(first.Storage.EncryptionKey) != 32 {
		t.Errorf("generated secrets too short: %d, %d bytes", len(first.Auth.JWTSecret), len(first.Storage.EncryptionKey))
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, devSecretsFile), 0o600)
	if !first.DevSecrets.Created || first.DevSecrets.File != filepath.Join(dir, devSecretsFile) {
		t.Errorf("first DevSecrets = %+v, want created at %s", first.DevSecrets, filepath.Join(dir, devSecretsFile))
	}

	second := mustLoad(t, "", e)
	if second.Auth.JWTSecret != first.Auth.JWTSecret || !bytes.Equal(second.Storage.EncryptionKey, first.Storage.EncryptionKey) {
		t.Error("second Load did not reuse the persisted development secrets")
	}
	if !slices.Equal(second.Generated, first.Generated) {
		t.Errorf("second Generated = %q", second.Generated)
	}
	if second.DevSecrets.Created || second.DevSecrets.File != first.DevSecrets.File {
		t.Errorf("second DevSecrets = %+v, want reused from %s", second.DevSecrets, first.DevSecrets.File)
	}
	for _, v := range second.Redacted() {
		if strings.Contains(v, second.Auth.JWTSecret) {
			t.Error("Redacted shows the generated JWT secret")
		}
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

func TestDevSecretsOnlyMissingOnes(t *testing.T) {
	e := devEnv(t).with("JWT_SECRET", "dev")
	c := mustLoad(t, "", e)
	if c.Auth.JWTSecret != "dev" || !slices.Equal(c.Generated, []string{"ENCRYPTION_KEY"}) {
		t.Errorf("JWT secret %q, Generated %q", c.Auth.JWTSecret, c.Generated)
	}
}

func TestDevSecretsUntouchedWhenProvided(t *testing.T) {
	e := devEnv(t).withAll(secretsEnv())
	c := mustLoad(t, "", e)
	if len(c.Generated) != 0 {
		t.Errorf("Generated = %q", c.Generated)
	}
	if _, err := os.Stat(filepath.Join(e["CHATBOX_DATA_DIR"], devSecretsFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dev-secrets.json written although both secrets were set (stat: %v)", err)
	}
}

func TestDevSecretsMalformed(t *testing.T) {
	e := devEnv(t)
	path := filepath.Join(e["CHATBOX_DATA_DIR"], devSecretsFile)
	for _, content := range []string{"{not json hunter2", `{"JWT_SECRET":"hunter2"}`, `{"JWT_SECRET":"x","ENCRYPTION_KEY":"aHVudGVyMg=="}`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := load("", e)
		checkErr(t, err, []string{path, "delete"}, "hunter2", "aHVudGVyMg")
	}
}

func TestDevSecretsRandFailure(t *testing.T) {
	_, err := Load(LoadOptions{LookupEnv: devEnv(t).lookup, Rand: strings.NewReader("too short")})
	checkErr(t, err, []string{"generating development secrets"})
}

// TestDevSecretsReadOnlyNeverCreatesTheFile: helper commands load with
// ReadOnlySecrets; they take stored secrets but never generate new ones.
func TestDevSecretsReadOnlyNeverCreatesTheFile(t *testing.T) {
	stored := mustLoad(t, "", devEnv(t)) // a server's first start
	tests := []struct {
		name      string
		env       env
		wantJWT   string
		wantKey   bool
		generated []string
	}{
		{"nothing set, no file", devEnv(t), "", false, nil},
		{"JWT_SECRET set, no file", devEnv(t).with("JWT_SECRET", testJWTSecret), testJWTSecret, false, nil},
		{"stored secrets", env{"CHATBOX_DATA_DIR": filepath.Dir(stored.DevSecrets.File)},
			stored.Auth.JWTSecret, true, []string{"JWT_SECRET", "ENCRYPTION_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(LoadOptions{LookupEnv: tt.env.lookup, ReadOnlySecrets: true})
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(tt.env["CHATBOX_DATA_DIR"], devSecretsFile)
			if c.DevSecrets.File != want || c.DevSecrets.Created {
				t.Errorf("DevSecrets = %+v, want %s, not created", c.DevSecrets, want)
			}
			if c.Auth.JWTSecret != tt.wantJWT || (len(c.Storage.EncryptionKey) > 0) != tt.wantKey || !slices.Equal(c.Generated, tt.generated) {
				t.Errorf("JWT secret %q, encryption key %t, Generated %q; want %q, %t, %q",
					c.Auth.JWTSecret, len(c.Storage.EncryptionKey) > 0, c.Generated, tt.wantJWT, tt.wantKey, tt.generated)
			}
			if tt.generated == nil {
				if _, err := os.Stat(want); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a read-only load created %s (stat: %v)", want, err)
				}
			}
		})
	}
}

func TestDevSecretsAbove(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "cmd", "chatbox")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, "", env{"CHATBOX_DATA_DIR": filepath.Join(root, "data")})
	found := filepath.Join(root, "data", devSecretsFile)
	tests := []struct {
		dir, dataDir, want string
	}{
		{sub, "data", found},
		{filepath.Join(root, "cmd"), "data", found},
		{root, "data", ""}, // the directory itself is not a parent
		{sub, "other", ""},
		{sub, filepath.Join(root, "data"), ""}, // absolute: nothing to search
	}
	for _, tt := range tests {
		if got := DevSecretsAbove(tt.dir, tt.dataDir); got != tt.want {
			t.Errorf("DevSecretsAbove(%s, %s) = %q, want %q", tt.dir, tt.dataDir, got, tt.want)
		}
	}
}

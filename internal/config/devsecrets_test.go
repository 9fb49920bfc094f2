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

	second := mustLoad(t, "", e)
	if second.Auth.JWTSecret != first.Auth.JWTSecret || !bytes.Equal(second.Storage.EncryptionKey, first.Storage.EncryptionKey) {
		t.Error("second Load did not reuse the persisted development secrets")
	}
	if !slices.Equal(second.Generated, first.Generated) {
		t.Errorf("second Generated = %q", second.Generated)
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

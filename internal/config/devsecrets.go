package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// devSecretsFile is where development secrets live, under DataDir, so that
// tokens minted with `chatbox token` and messages encrypted by one run stay
// valid in the next.
const devSecretsFile = "dev-secrets.json"

// devSecrets is the content of dev-secrets.json. Both secrets are always
// generated together, so the file never needs rewriting.
type devSecrets struct {
	JWTSecret     string `json:"JWT_SECRET"`
	EncryptionKey string `json:"ENCRYPTION_KEY"`
}

// fillDevSecrets supplies, in development, the secrets the operator did not
// set, from dev-secrets.json, creating it on first use. Secrets that are set
// are left alone and the file is not touched when none is missing.
func fillDevSecrets(c *Config, random io.Reader) error {
	if c.Auth.JWTSecret != "" && len(c.Storage.EncryptionKey) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, devSecretsFile)
	s, err := loadOrCreateDevSecrets(path, random)
	if err != nil {
		return err
	}
	if c.Auth.JWTSecret == "" {
		c.Auth.JWTSecret = s.JWTSecret
		c.Generated = append(c.Generated, "JWT_SECRET")
	}
	if len(c.Storage.EncryptionKey) == 0 {
		key, err := decodeKey(s.EncryptionKey)
		if err != nil || key == nil {
			return fmt.Errorf("config: %s: ENCRYPTION_KEY is not base64 of 32 bytes; delete the file to generate new development secrets", path)
		}
		c.Storage.EncryptionKey = key
		c.Generated = append(c.Generated, "ENCRYPTION_KEY")
	}
	return nil
}

// loadOrCreateDevSecrets reads path, or creates it with fresh secrets. The
// file is written to a temporary name and hard-linked into place, which
// fails if it exists: two processes starting together both end up with the
// first one's secrets, and nobody reads a half-written file.
func loadOrCreateDevSecrets(path string, random io.Reader) (devSecrets, error) {
	if s, err := readDevSecrets(path); !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	s, err := newDevSecrets(random)
	if err != nil {
		return s, err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, fmt.Errorf("config: encoding development secrets: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return s, fmt.Errorf("config: creating data directory for development secrets: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".dev-secrets-*.tmp") // mode 0600
	if err != nil {
		return s, fmt.Errorf("config: writing development secrets: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return s, fmt.Errorf("config: writing development secrets: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readDevSecrets(path)
		}
		return s, fmt.Errorf("config: writing development secrets: %w", err)
	}
	return s, nil
}

// readDevSecrets reads and checks dev-secrets.json. Its errors never quote
// the content.
func readDevSecrets(path string) (devSecrets, error) {
	var s devSecrets
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return s, err
		}
		return s, fmt.Errorf("config: reading development secrets: %w", err)
	}
	if json.Unmarshal(data, &s) != nil || s.JWTSecret == "" || s.EncryptionKey == "" {
		return s, fmt.Errorf("config: %s is malformed; delete it to generate new development secrets", path)
	}
	return s, nil
}

// newDevSecrets draws two 32-byte secrets. The JWT secret is kept in its
// base64 form: it is used as text, like a JWT_SECRET from openssl rand.
func newDevSecrets(random io.Reader) (devSecrets, error) {
	var jwtKey, encKey [32]byte
	if _, err := io.ReadFull(random, jwtKey[:]); err != nil {
		return devSecrets{}, fmt.Errorf("config: generating development secrets: %w", err)
	}
	if _, err := io.ReadFull(random, encKey[:]); err != nil {
		return devSecrets{}, fmt.Errorf("config: generating development secrets: %w", err)
	}
	return devSecrets{JWTSecret: encodeKey(jwtKey[:]), EncryptionKey: encodeKey(encKey[:])}, nil
}

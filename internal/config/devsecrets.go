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

// DevSecrets says where the development secrets of a Config live.
type DevSecrets struct {
	// File is the absolute path of <DataDir>/dev-secrets.json when a
	// secret was not set: the file Generated's secrets came from or, when
	// a secret is still missing after a ReadOnlySecrets load, the file
	// that was looked for. "" when both secrets were set.
	File string
	// Created reports that this Load generated the file (a first start);
	// false means the stored secrets were reused.
	Created bool
}

// fillDevSecrets supplies, in development, the secrets the operator did not
// set, from dev-secrets.json, creating it on first use unless readOnly.
// Secrets that are set are left alone and the file is not touched when
// none is missing. With readOnly a missing file leaves the missing secrets
// empty: helper commands must sign and decrypt with the server's secrets,
// never with new ones, so they check what they need and refuse.
func fillDevSecrets(c *Config, random io.Reader, readOnly bool) error {
	if c.Auth.JWTSecret != "" && len(c.Storage.EncryptionKey) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, devSecretsFile)
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	c.DevSecrets.File = path
	var s devSecrets
	var err error
	if readOnly {
		s, err = readDevSecrets(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	} else {
		s, c.DevSecrets.Created, err = loadOrCreateDevSecrets(path, random)
	}
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

// DevSecretsAbove looks for the dev-secrets.json of a relative data
// directory in the parents of dir, nearest first, and returns the first
// one found, or "". A helper command run below the server's working
// directory names it in its refusal; it never reads it on a guess.
func DevSecretsAbove(dir, dataDir string) string {
	if filepath.IsAbs(dataDir) {
		return ""
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		p := filepath.Join(d, dataDir, devSecretsFile)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// loadOrCreateDevSecrets reads path, or creates it with fresh secrets and
// reports created. The file is written to a temporary name and hard-linked
// into place, which fails if it exists: two processes starting together
// both end up with the first one's secrets, and nobody reads a
// half-written file.
func loadOrCreateDevSecrets(path string, random io.Reader) (s devSecrets, created bool, err error) {
	if s, err := readDevSecrets(path); !errors.Is(err, fs.ErrNotExist) {
		return s, false, err
	}
	s, err = newDevSecrets(random)
	if err != nil {
		return s, false, err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, false, fmt.Errorf("config: encoding development secrets: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return s, false, fmt.Errorf("config: creating data directory for development secrets: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".dev-secrets-*.tmp") // mode 0600
	if err != nil {
		return s, false, fmt.Errorf("config: writing development secrets: %w", err)
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
		return s, false, fmt.Errorf("config: writing development secrets: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			s, err := readDevSecrets(path)
			return s, false, err
		}
		return s, false, fmt.Errorf("config: writing development secrets: %w", err)
	}
	return s, true, nil
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

package config

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Keys whose parsing or display needs more than the generic constructors.

// jwtSecretSpec keeps JWT_SECRET byte for byte, untrimmed: it is an opaque
// key shared with the token issuer, and dropping a trailing newline the
// issuer also uses would make every token fail. Its length is checked by the
// production rules, not here, so development can use short test secrets.
func jwtSecretSpec(k Key) spec[Config] {
	return stringSpec(k, func(c *Config) *string { return &c.Auth.JWTSecret },
		func(s string) (string, error) { return s, nil })
}

// encryptionKeySpec decodes ENCRYPTION_KEY from base64 into 32 raw bytes.
func encryptionKeySpec(k Key) spec[Config] {
	return spec[Config]{
		key:  k,
		kind: kindString,
		set: func(c *Config, v value) error {
			key, err := decodeKey(v.text)
			if err != nil {
				return err
			}
			c.Storage.EncryptionKey = key
			return nil
		},
		get: func(c *Config) string { return encodeKey(c.Storage.EncryptionKey) },
	}
}

// urlListSpec is a string of one or more comma-separated URLs that may
// embed a password: messages and logs show them with the password masked.
func urlListSpec[T any](k Key, field func(*T) *string, check func(string) (string, error)) spec[T] {
	s := stringSpec(k, field, check)
	s.show = func(raw string) string { return strconv.Quote(redactURLs(raw)) }
	s.get = func(t *T) string { return redactURLs(*field(t)) }
	return s
}

// promptSpec is the provider system prompt: free text, logged by size only
// because it is long and may be confidential.
func promptSpec(k Key) spec[Provider] {
	s := stringSpec(k, func(p *Provider) *string { return &p.SystemPrompt }, trimmed)
	s.show = func(raw string) string { return strconv.Itoa(len(raw)) + " bytes" }
	s.get = func(p *Provider) string { return strconv.Itoa(len(p.SystemPrompt)) + " bytes" }
	return s
}

// redactURLs redacts each comma-separated URL with RedactURL.
func redactURLs(raw string) string {
	parts := strings.Split(raw, ",")
	for i, part := range parts {
		parts[i] = RedactURL(part)
	}
	return strings.Join(parts, ",")
}

func setOrUnset(set bool) string {
	if set {
		return "set"
	}
	return "unset"
}

// encodeKey is the inverse of decodeKey, for dev-secrets.json.
func encodeKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

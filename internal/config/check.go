package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// keyHint tells operators how to make a good secret; every message about a
// missing or malformed key ends with it.
const keyHint = "generate one with: openssl rand -base64 32"

// showsValue marks a reason that already quotes the offending value, so the
// message names the key without repeating the value.
type showsValue struct{ error }

// checkEnv accepts the two modes. Anything else ("staging", "prod") is an
// error rather than a silent fall back to development and its generated
// secrets.
func checkEnv(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s != EnvDevelopment && s != EnvProduction {
		return "", fmt.Errorf("must be %q or %q", EnvDevelopment, EnvProduction)
	}
	return s, nil
}

// checkDir accepts any non-empty directory path, cleaned.
func checkDir(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("must not be empty")
	}
	return filepath.Clean(s), nil
}

// checkPathPrefix normalises the route prefix to "/a/b" form; "/" (or "")
// means the root and becomes "". It refuses characters that would be
// escaped in URLs or read as ServeMux pattern syntax.
func checkPathPrefix(s string) (string, error) {
	s = strings.Trim(strings.TrimSpace(s), "/")
	if s == "" {
		return "", nil
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", errors.New("not a clean URL path (empty, . or .. segment)")
		}
		for _, r := range seg {
			if !isPathChar(r) {
				return "", fmt.Errorf("not a URL path prefix: %q is not allowed (use letters, digits, - . _ ~ and /)", r)
			}
		}
	}
	return "/" + s, nil
}

func isPathChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '-' || r == '.' || r == '_' || r == '~'
}

// checkOrigin accepts "*" or an origin scheme://host[:port], with an
// optional leading "*." wildcard label, and lowercases it because browsers
// send origins in lowercase. A trailing slash is tolerated and dropped
// (people paste URLs); a path, query or credentials are not.
func checkOrigin(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Scheme == "" || u.Hostname() == "" || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q is not an origin (want scheme://host[:port], e.g. https://chat.example.com)", s)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// checkMongoURI accepts "" (use SQLite) or a mongodb:// or mongodb+srv://
// URI. Only the scheme is checked: the driver accepts URIs (replica set
// host lists, unescaped characters in passwords) that net/url refuses, and
// it reports its own errors at connect time. The value is secret, so the
// reason never quotes it.
func checkMongoURI(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(s, "mongodb://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "mongodb+srv://")
	}
	if !ok || rest == "" {
		return "", errors.New("not a MongoDB URI (want mongodb://host:27017/db or mongodb+srv://...)")
	}
	return s, nil
}

// checkNATSURL accepts "" (embedded server) or a comma-separated list of
// nats://, tls://, ws:// or wss:// server URLs, as the NATS client does.
func checkNATSURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, part := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil || u.Hostname() == "" {
			return "", errors.New("not a NATS server URL (want nats://host:4222, several separated by commas)")
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return "", fmt.Errorf("scheme %q is not a NATS scheme (nats, tls, ws or wss)", u.Scheme)
		}
	}
	return s, nil
}

// checkLogLevel accepts the four slog levels by name.
func checkLogLevel(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "debug", "info", "warn", "error":
		return s, nil
	}
	return "", errors.New("must be debug, info, warn or error")
}

// checkLogFormat accepts "" (decided by the mode), "json" or "text".
func checkLogFormat(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "json", "text":
		return s, nil
	}
	return "", errors.New(`must be "json" or "text" (unset: json in production, text otherwise)`)
}

// decodeKey decodes a 32-byte key from standard or URL-safe base64, padded
// or not. "" decodes to nil: no key. The value is secret, so the reason
// never quotes it.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("want base64 of exactly 32 bytes, got %d bytes (%s)", len(key), keyHint)
		}
		return key, nil
	}
	return nil, fmt.Errorf("not valid base64; want base64 of exactly 32 bytes (%s)", keyHint)
}

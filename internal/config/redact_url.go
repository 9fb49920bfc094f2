package config

import (
	"net/url"
	"strings"
)

// RedactURL renders a configured URL for logs. All user info is replaced,
// not only a password: NATS token auth and some proxies put the secret
// where a user name goes. Query values whose name suggests a secret
// (key, token, secret, password, signature, credential, auth) are replaced
// too. A value that does not parse is replaced entirely, since it might
// hold a password the parser could not find. "" stays "".
func RedactURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name := range q {
			if secretParam(name) {
				q[name] = []string{"REDACTED"}
			}
		}
		u.RawQuery = q.Encode()
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "REDACTED", ""
	}
	return u.String()
}

// secretParam reports whether a query parameter's name suggests its value
// is a credential.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"key", "token", "secret", "pass", "pwd", "sig", "credential", "auth"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

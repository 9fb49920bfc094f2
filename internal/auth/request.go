package auth

import (
	"net/http"
	"net/url"
	"strings"
)

// TokenFromRequest returns the bearer token of r: the Authorization header
// ("Bearer <t>", scheme case-insensitive) first, else the "token" query
// parameter, which browsers need because they cannot set headers on a
// WebSocket upgrade. It returns "" when there is none.
func TokenFromRequest(r *http.Request) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		if token = strings.TrimSpace(token); token != "" {
			return token
		}
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.Query().Get("token")
}

// RedactURL renders u for logs with every "token" query value replaced by
// REDACTED and any userinfo password masked. The rest of the query keeps
// its order and encoding.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, part := range parts {
			key, _, _ := strings.Cut(part, "=")
			// Unescape so "%74oken=" cannot slip a token past the filter.
			if name, err := url.QueryUnescape(key); key == "token" || (err == nil && name == "token") {
				parts[i] = key + "=REDACTED"
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.Redacted()
}

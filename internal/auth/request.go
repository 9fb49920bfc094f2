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
//
// Parameters are split at ';' as well as '&': Go's query parser rejects a
// ';' pair, so such a token never authenticates, but a client that sent
// one has still put a live token in the URL. The name matches in any case
// for the same reason.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.RawQuery != "" {
		var b strings.Builder
		rest := c.RawQuery
		for {
			end := strings.IndexAny(rest, "&;")
			part := rest
			if end >= 0 {
				part = rest[:end]
			}
			key, _, _ := strings.Cut(part, "=")
			// Unescape so "%74oken=" cannot slip a token past the filter.
			name, err := url.QueryUnescape(key)
			if strings.EqualFold(key, "token") || (err == nil && strings.EqualFold(name, "token")) {
				part = key + "=REDACTED"
			}
			b.WriteString(part)
			if end < 0 {
				break
			}
			b.WriteByte(rest[end])
			rest = rest[end+1:]
		}
		c.RawQuery = b.String()
	}
	return c.Redacted()
}

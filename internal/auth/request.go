package auth

import (
	"net/http"
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

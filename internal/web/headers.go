package web

import (
	"net/http"
	"strings"
)

// pageCSP is the Content-Security-Policy of a page: everything from this
// origin only, no inline script or style, WebSockets to this host, and
// framing by this origin plus frameAncestors.
func pageCSP(host string, frameAncestors []string) string {
	ancestors := append([]string{"'self'"}, frameAncestors...)
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self' ws://" + host + " wss://" + host,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors " + strings.Join(ancestors, " "),
	}, "; ")
}

// setSecurityHeaders sets the headers every page and asset carries.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

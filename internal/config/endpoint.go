package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// checkEndpoint accepts "" (the type's official API) or an http(s) base URL.
// Plain http is refused towards public hosts: the API key and every
// conversation would cross the internet in clear text.
func checkEndpoint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || u.Opaque != "" {
		return "", errors.New("not a URL (want https://host/path)")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLocalHost(u.Hostname()) {
			return "", fmt.Errorf("plain http to public host %q would send the API key and conversations unencrypted; use https (plain http is allowed only to loopback, private, link-local or cluster-local hosts)", u.Hostname())
		}
	default:
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	return s, nil
}

// isLocalHost reports whether host is on this machine or a private network:
// loopback, private and link-local addresses, "localhost" and *.localhost,
// single-label names (Kubernetes services in the same namespace, Compose
// services) and Kubernetes *.svc / *.svc.cluster.local names. Such hosts may
// be reached over plain http and may omit the API key (a local Ollama).
//
// Dotted names outside those suffixes count as public even when they are
// not ("ollama.ai-team"): refusing a private host is an inconvenience with
// a clear message, accepting a public one leaks keys.
func isLocalHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if addr, err := netip.ParseAddr(host); err == nil {
		addr = addr.Unmap()
		return addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast()
	}
	switch {
	case host == "localhost", strings.HasSuffix(host, ".localhost"):
		return true
	case strings.HasSuffix(host, ".svc"), strings.HasSuffix(host, ".svc.cluster.local"):
		return true
	}
	return isServiceName(host)
}

// isServiceName reports whether host is one DNS label starting with a
// letter, as Kubernetes service names are. Requiring the letter excludes
// all-digit and hex labels ("2130706433", "0x7f000001") that some resolvers
// read as IPv4 addresses, which may be public.
func isServiceName(host string) bool {
	if host == "" || len(host) > 63 || host[0] < 'a' || host[0] > 'z' || host[len(host)-1] == '-' {
		return false
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

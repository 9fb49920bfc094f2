package config

import (
	"errors"
	"strings"
	"time"
)

// tokenSpecs is the table of the token keys beyond JWT_SECRET, appended to
// configSpecs.
func tokenSpecs() []spec[Config] {
	a := func(c *Config) *Auth { return &c.Auth }
	return []spec[Config]{
		urlListSpec(Key{Env: "JWT_JWKS_URL", TOMLPath: "auth.jwks_url",
			Doc: "JWKS URL of the operator's identity provider (e.g. https://idp.example.com/realms/chat/protocol/openid-connect/certs): user and admin tokens signed by its keys (RS256, PS256, ES256, EdDSA) are accepted besides HS256 ones; keys are cached, refreshed hourly and on an unknown key id (at most every 30 s). With it, JWT_SECRET is optional."},
			func(c *Config) *string { return &a(c).JWKSURL }, checkEndpoint),
		stringSpec(Key{Env: "JWT_ISSUER", TOMLPath: "auth.issuer",
			Doc: "Required iss of user and admin tokens; empty: not checked."},
			func(c *Config) *string { return &a(c).Issuer }, trimmed),
		listSpec(Key{Env: "JWT_AUDIENCE", TOMLPath: "auth.audience",
			Doc: "Comma-separated values of which a token's aud must hold one; empty: not checked."},
			func(c *Config) *[]string { return &a(c).Audience }, nonEmpty),
		stringSpec(Key{Env: "JWT_ROLES_CLAIM", TOMLPath: "auth.roles_claim", Default: "roles",
			Doc: "Claim holding a token's roles, a string or an array; a dotted path reaches into objects (realm_access.roles for Keycloak). The roles admin and chat_admin make an admin."},
			func(c *Config) *string { return &a(c).RolesClaim }, checkClaimPath),
		durationSpec(Key{Env: "JWT_MAX_LIFETIME", TOMLPath: "auth.max_lifetime", Default: "0s",
			Doc: "Longest lifetime (exp - iat) a token may have; tokens without iat are then refused. 0s: no limit. Tokens issued in the future (iat beyond JWT_LEEWAY) are always refused."},
			0, 365*24*time.Hour, func(c *Config) *time.Duration { return &a(c).MaxLifetime }),
	}
}

// nonEmpty trims a list item.
func nonEmpty(s string) (string, error) { return strings.TrimSpace(s), nil }

// checkClaimPath accepts a claim name or a dotted path of names.
func checkClaimPath(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, name := range strings.Split(s, ".") {
		if name == "" {
			return "", errors.New("not a claim name or dotted path (e.g. groups, realm_access.roles)")
		}
	}
	return s, nil
}

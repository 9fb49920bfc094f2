package config

import "testing"

// tokenSamples are sampleEnv's values for the token and sign-in keys.
func tokenSamples() map[string][2]string {
	return map[string][2]string{
		"JWT_JWKS_URL":     {"https://idp.example.com/certs", "https://idp.example.com/certs"},
		"JWT_ISSUER":       {"https://idp.example.com", "https://idp.example.com"},
		"JWT_AUDIENCE":     {"chatbox, account", "chatbox,account"},
		"JWT_ROLES_CLAIM":  {"realm_access.roles", "realm_access.roles"},
		"JWT_MAX_LIFETIME": {"24h", "24h0m0s"},
	}
}

// TestProductionWithoutSharedSecret: the identity provider's JWKS alone
// replaces JWT_SECRET in production.
func TestProductionWithoutSharedSecret(t *testing.T) {
	c, err := load("", prodEnv(t).without("JWT_SECRET").with("JWT_JWKS_URL", "https://idp.example.com/certs"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.JWTSecret != "" || len(c.Generated) != 0 {
		t.Errorf("a secret was generated in production: %q", c.Generated)
	}
}

func TestTokenKeyRefusals(t *testing.T) {
	tests := []struct {
		name string
		e    env
		want []string
	}{
		{"plain http JWKS", prodEnv(t).with("JWT_JWKS_URL", "http://idp.example.com/certs"), []string{"JWT_JWKS_URL", "use https"}},
		{"empty claim path segment", prodEnv(t).with("JWT_ROLES_CLAIM", "realm_access..roles"), []string{"JWT_ROLES_CLAIM", "dotted path"}},
		{"lifetime not a duration", prodEnv(t).with("JWT_MAX_LIFETIME", "24"), []string{"JWT_MAX_LIFETIME", "not a duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load("", tt.e)
			checkErr(t, err, tt.want)
		})
	}
}

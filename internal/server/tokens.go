package server

import (
	"context"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/auth"
)

// tokenOptions turns the token settings into the verifier's options. With
// JWT_JWKS_URL it starts fetching the provider's keys, until Close; a
// provider that is down does not stop the start (cached keys, once
// fetched, keep working; readiness does not depend on the provider).
func (a *App) tokenOptions() (auth.Options, error) {
	c := a.cfg.Auth
	o := auth.Options{
		Secret:      []byte(c.JWTSecret),
		Issuer:      c.Issuer,
		Audience:    c.Audience,
		Leeway:      c.Leeway,
		MaxLifetime: c.MaxLifetime,
		RolesClaim:  c.RolesClaim,
	}
	if c.JWKSURL == "" {
		return o, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.closers = append(a.closers, cancel)
	keys, err := auth.NewKeySet(ctx, auth.KeySetOptions{URL: c.JWKSURL, Logger: a.log})
	if err != nil {
		return o, fmt.Errorf("JWT_JWKS_URL: %w", err)
	}
	o.Keys = keys
	return o, nil
}

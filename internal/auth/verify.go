package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxTokenLen bounds the work spent on a token from the network; real
// tokens are a few hundred bytes, ID-provider tokens a few KiB.
const maxTokenLen = 8 << 10

// Options configure a Verifier. At least one of Secret, Keys and
// ConsoleKey must be set for any token to verify.
type Options struct {
	// Secret is the HS256 key shared with the operator's token issuer
	// (JWT_SECRET); empty accepts no HS256 tokens but console tokens.
	Secret []byte
	// Keys are the identity provider's public keys (JWT_JWKS_URL, see
	// NewKeySet); nil accepts no asymmetric tokens.
	Keys *KeySet
	// ConsoleKey verifies the console tokens Chatbox mints for signed-in
	// staff (MintConsole); empty accepts none.
	ConsoleKey []byte
	// Issuer, when set, is the "iss" every token but console tokens must
	// carry (JWT_ISSUER).
	Issuer string
	// Audience, when set, lists values of which a token's "aud" must hold
	// at least one (JWT_AUDIENCE); console tokens have their own.
	Audience []string
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway time.Duration
	// MaxLifetime, when positive, refuses tokens whose exp - iat exceeds
	// it, and tokens without iat (JWT_MAX_LIFETIME).
	MaxLifetime time.Duration
	// RolesClaim is the claim holding the roles, a dot-separated path
	// into nested objects (JWT_ROLES_CLAIM); empty means "roles".
	RolesClaim string
}

// Verifier checks tokens against the authorities of its Options. It is
// safe for concurrent use.
type Verifier struct {
	o      Options
	parser *jwt.Parser
}

// NewVerifier returns a Verifier for HS256 tokens signed with secret,
// tolerating leeway of clock skew on exp, nbf and iat. An empty secret
// verifies nothing: every token is rejected as invalid.
func NewVerifier(secret []byte, leeway time.Duration) *Verifier {
	return New(Options{Secret: secret, Leeway: leeway})
}

// New returns a Verifier for o.
func New(o Options) *Verifier {
	// The caller's slices may change later.
	o.Secret = slices.Clone(o.Secret)
	o.ConsoleKey = slices.Clone(o.ConsoleKey)
	o.Audience = slices.Clone(o.Audience)
	methods := []string{"HS256"}
	if o.Keys != nil {
		methods = append(methods, asymmetricAlgs...)
	}
	return &Verifier{
		o: o,
		parser: jwt.NewParser(
			jwt.WithValidMethods(methods),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(o.Leeway),
		),
	}
}

// Verify checks token and returns its claims. The error wraps ErrExpired or
// ErrInvalid and never contains the token.
func (v *Verifier) Verify(token string) (Claims, error) {
	if token == "" || len(token) > maxTokenLen {
		return Claims{}, invalid("empty or oversized")
	}
	var p payload
	parsed, err := v.parser.ParseWithClaims(token, &p, v.key)
	if err != nil {
		return Claims{}, classify(err)
	}
	console := isConsole(parsed)
	if err := v.checkIssuer(&p, console); err != nil {
		return Claims{}, err
	}
	if err := v.checkLifetime(&p); err != nil {
		return Claims{}, err
	}
	c := Claims{UserID: p.Subject, Name: p.Name, Email: p.Email}
	if c.Roles, err = p.rolesAt(v.rolesClaim(console)); err != nil {
		return Claims{}, invalid("roles claim is not a string or an array of strings")
	}
	if console {
		c.SessionID = p.SID
		if c.SessionID == "" {
			return Claims{}, invalid("console token without a session")
		}
	}
	if c.UserID == "" {
		c.UserID = string(p.UserID)
	}
	if strings.TrimSpace(c.UserID) == "" {
		return Claims{}, invalid("no user id (sub or user_id)")
	}
	if c.Name == "" {
		c.Name = c.UserID
	}
	if p.ExpiresAt != nil { // always set: WithExpirationRequired
		c.ExpiresAt = p.ExpiresAt.Time
	}
	return c, nil
}

// rolesClaim is where the roles of a token are: console tokens always
// carry "roles", whatever the operator's issuer uses.
func (v *Verifier) rolesClaim(console bool) string {
	if console {
		return "roles"
	}
	return v.o.RolesClaim
}

// key picks the verification key by algorithm and key id, binding each
// algorithm to one authority: HS256 to the shared secret or, with the
// console key id, to the console key; the asymmetric algorithms to the
// JWKS, whose key type must match (keys.go).
func (v *Verifier) key(t *jwt.Token) (any, error) {
	if t.Method.Alg() == "HS256" {
		key := v.o.Secret
		if isConsole(t) {
			key = v.o.ConsoleKey
		}
		if len(key) == 0 {
			return nil, errors.New("no key for this token")
		}
		return key, nil
	}
	if v.o.Keys == nil {
		return nil, errors.New("no key set configured")
	}
	return v.o.Keys.key(t)
}

// checkIssuer applies the configured iss and aud to the operator's
// tokens, and the fixed ones to console tokens.
func (v *Verifier) checkIssuer(p *payload, console bool) error {
	iss, aud := v.o.Issuer, v.o.Audience
	if console {
		iss, aud = consoleIssuer, []string{consoleAudience}
	}
	if iss != "" && p.Issuer != iss {
		return invalid("wrong issuer (iss)")
	}
	if len(aud) > 0 && !slices.ContainsFunc(p.Audience, func(a string) bool { return slices.Contains(aud, a) }) {
		return invalid("wrong audience (aud)")
	}
	return nil
}

// checkLifetime enforces MaxLifetime.
func (v *Verifier) checkLifetime(p *payload) error {
	if v.o.MaxLifetime <= 0 {
		return nil
	}
	if p.IssuedAt == nil {
		return invalid("no iat, required to check the maximum lifetime")
	}
	if p.ExpiresAt.Sub(p.IssuedAt.Time) > v.o.MaxLifetime {
		return invalid("lifetime (exp - iat) above the maximum")
	}
	return nil
}

// classify maps the jwt library's errors to ours. The library's messages
// can quote the token's header (an attacker-chosen alg string), so only a
// fixed reason is kept.
func classify(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalid("malformed")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalid("bad signature or algorithm not allowed")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return invalid("unverifiable (no key for this algorithm and key id)")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalid("missing exp")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalid("not valid yet (nbf)")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return invalid("issued in the future (iat)")
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("auth: %w", ErrExpired)
	}
	return invalid("rejected")
}

func invalid(reason string) error {
	return fmt.Errorf("auth: %w: %s", ErrInvalid, reason)
}

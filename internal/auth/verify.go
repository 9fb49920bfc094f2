package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxTokenLen bounds the work spent on a token from the network; real
// tokens are a few hundred bytes.
const maxTokenLen = 8 << 10

// Verifier checks tokens signed with one shared secret. It is safe for
// concurrent use.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
}

// NewVerifier returns a Verifier for HS256 tokens signed with secret,
// tolerating leeway of clock skew on exp and nbf. An empty secret verifies
// nothing: every token is rejected as invalid.
func NewVerifier(secret []byte, leeway time.Duration) *Verifier {
	return &Verifier{
		secret: append([]byte(nil), secret...), // the caller's slice may change later
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{"HS256"}),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(leeway),
		),
	}
}

// Verify checks token and returns its claims. The error wraps ErrExpired or
// ErrInvalid and never contains the token.
func (v *Verifier) Verify(token string) (Claims, error) {
	if len(v.secret) == 0 {
		return Claims{}, invalid("no secret configured")
	}
	if token == "" || len(token) > maxTokenLen {
		return Claims{}, invalid("empty or oversized")
	}
	var tc tokenClaims
	_, err := v.parser.ParseWithClaims(token, &tc, func(*jwt.Token) (any, error) {
		return v.secret, nil
	})
	if err != nil {
		return Claims{}, classify(err)
	}
	c := Claims{UserID: tc.Subject, Name: tc.Name, Roles: tc.Roles}
	if c.UserID == "" {
		c.UserID = string(tc.UserID)
	}
	if strings.TrimSpace(c.UserID) == "" {
		return Claims{}, invalid("no user id (sub or user_id)")
	}
	if c.Name == "" {
		c.Name = c.UserID
	}
	if tc.ExpiresAt != nil { // always set: WithExpirationRequired
		c.ExpiresAt = tc.ExpiresAt.Time
	}
	return c, nil
}

// classify maps the jwt library's errors to ours. The library's messages
// can quote the token's header (an attacker-chosen alg string), so only a
// fixed reason is kept.
func classify(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("auth: %w", ErrExpired)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalid("malformed")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalid("bad signature or algorithm other than HS256")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return invalid("unverifiable")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalid("missing exp")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalid("not valid yet (nbf)")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return invalid("issued in the future (iat)")
	}
	return invalid("rejected")
}

func invalid(reason string) error {
	return fmt.Errorf("auth: %w: %s", ErrInvalid, reason)
}

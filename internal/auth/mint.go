package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MintOptions describe a token to mint.
type MintOptions struct {
	UserID string
	Name   string // optional; Verify defaults it to UserID
	Admin  bool   // adds the "admin" role
	// TTL is the lifetime from Now; negative mints an already expired token,
	// for tests of expiry handling. Zero is refused as a likely mistake.
	TTL time.Duration
	Now time.Time // zero: time.Now()
}

// Mint signs an HS256 token with secret, as the real issuer would, for
// `chatbox token` in development and for tests. It sets sub, name (if
// given), roles (["admin"] when Admin), iat and exp.
func Mint(secret []byte, o MintOptions) (string, error) {
	switch {
	case len(secret) == 0:
		return "", errors.New("auth: mint: empty secret")
	case o.UserID == "":
		return "", errors.New("auth: mint: empty user id")
	case o.TTL == 0:
		return "", errors.New("auth: mint: TTL must not be zero")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   o.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(o.TTL)),
		},
		Name: o.Name,
	}
	if o.Admin {
		c.Roles = roleList{"admin"}
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	return token, nil
}

package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Console tokens are the short-lived bearer tokens Chatbox mints for a
// signed-in staff member's console (internal/signin). They name their key
// with this kid and carry fixed iss and aud, so they are never confused
// with the operator's tokens.
const (
	consoleKeyID    = "chatbox-console"
	consoleIssuer   = "chatbox"
	consoleAudience = "chatbox-console"
)

// ConsoleToken describes a console token to mint.
type ConsoleToken struct {
	UserID    string // the staff member's OIDC sub
	Name      string
	Email     string
	Admin     bool
	SessionID string // the browser session's public id ("sid"); required
	TTL       time.Duration
	Now       time.Time // zero: time.Now()
}

// MintConsole signs a console token with key.
func MintConsole(key []byte, o ConsoleToken) (string, error) {
	switch {
	case len(key) == 0:
		return "", errors.New("auth: mint console token: empty key")
	case o.UserID == "" || o.SessionID == "":
		return "", errors.New("auth: mint console token: user and session are required")
	case o.TTL <= 0:
		return "", errors.New("auth: mint console token: TTL must be positive")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    consoleIssuer,
			Audience:  jwt.ClaimStrings{consoleAudience},
			Subject:   o.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(o.TTL)),
		},
		Name:  o.Name,
		Email: o.Email,
		SID:   o.SessionID,
	}
	if o.Admin {
		c.Roles = roleList{"admin"}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = consoleKeyID
	token, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("auth: mint console token: %w", err)
	}
	return token, nil
}

// isConsole reports whether t names the console key.
func isConsole(t *jwt.Token) bool {
	kid, _ := t.Header["kid"].(string)
	return kid == consoleKeyID
}

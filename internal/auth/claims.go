package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is the identity a verified token carries.
type Claims struct {
	UserID    string // "sub", else "user_id"
	Name      string // "name", else UserID
	Roles     []string
	ExpiresAt time.Time
}

// Admin reports whether the user may act as a chat administrator (take over
// sessions, read other users' sessions).
func (c Claims) Admin() bool {
	return slices.Contains(c.Roles, "admin") || slices.Contains(c.Roles, "chat_admin")
}

// tokenClaims is the JSON payload of a token.
type tokenClaims struct {
	jwt.RegisteredClaims
	UserID flexString `json:"user_id,omitempty"`
	Name   string     `json:"name,omitempty"`
	Roles  roleList   `json:"roles,omitempty"`
}

// roleList decodes "roles" given as an array of strings or as one string,
// since issuers differ.
type roleList []string

// UnmarshalJSON implements json.Unmarshaler.
func (r *roleList) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*r = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*r = roleList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return errors.New("roles must be a string or an array of strings")
	}
	*r = many
	return nil
}

// flexString decodes "user_id" given as a string or a number: issuers with
// numeric user ids put them in as JSON numbers.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*f = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return errors.New("user_id must be a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

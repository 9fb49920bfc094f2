package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is the identity a verified token carries.
type Claims struct {
	UserID    string // "sub", else "user_id"
	Name      string // "name", else UserID
	Email     string // "email", if the issuer sets it (staff identities)
	Roles     []string
	ExpiresAt time.Time
	// SessionID is the staff browser session a console token was minted
	// for ("sid"); empty for every other token. Whoever accepts console
	// tokens checks that the session still exists, so signing out refuses
	// the token at once.
	SessionID string
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
	Email  string     `json:"email,omitempty"`
	Roles  roleList   `json:"roles,omitempty"`
	SID    string     `json:"sid,omitempty"`
}

// payload is a token's claims as verification reads them: the fixed fields
// of tokenClaims, plus every top-level claim kept raw so the roles can come
// from a configured claim (rolesAt).
type payload struct {
	tokenClaims
	raw map[string]json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *payload) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &p.tokenClaims); err != nil {
		return err
	}
	return json.Unmarshal(data, &p.raw)
}

// rolesAt reads the roles from the claim at path, a dot-separated path
// into nested objects ("groups", "realm_access.roles"). A missing claim
// means no roles; a claim of another shape is an error, as for "roles".
func (p *payload) rolesAt(path string) ([]string, error) {
	if path == "" || path == "roles" {
		return p.Roles, nil
	}
	names := strings.Split(path, ".")
	raw, ok := p.raw[names[0]]
	for _, name := range names[1:] {
		if !ok {
			break
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, errors.New("roles claim path goes through a value that is not an object")
		}
		raw, ok = obj[name]
	}
	if !ok {
		return nil, nil
	}
	var r roleList
	if err := r.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return r, nil
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

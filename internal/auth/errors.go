package auth

import "errors"

// Errors returned by Verify, matched with errors.Is. Their messages never
// include the token.
var (
	// ErrExpired: the token was valid but its exp (plus leeway) has passed;
	// the client should fetch a new token and reconnect.
	ErrExpired = errors.New("token expired")
	// ErrInvalid: anything else — malformed, wrong signature or algorithm,
	// missing exp or user id, not valid yet. Retrying with the same token
	// cannot succeed.
	ErrInvalid = errors.New("invalid token")
)

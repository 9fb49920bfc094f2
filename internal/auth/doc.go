// Package auth verifies the JWTs that identify chat users and staff, mints
// tokens for development, tests and the admin console, and keeps tokens out
// of logs.
//
// A Verifier accepts tokens from up to three authorities, each bound to its
// own algorithms so one can never be mistaken for another:
//   - HS256 tokens signed with JWT_SECRET, shared with the operator's issuer;
//   - RS256, PS256, ES256 and EdDSA tokens signed by a key of the operator's
//     identity provider, published as a JWKS (keys.go); the key's type must
//     match the algorithm, so a public key can never serve as an HMAC secret;
//   - HS256 console tokens Chatbox mints itself for signed-in staff
//     (kid "chatbox-console", console.go), with their own key.
//
// Verification is strict on purpose: never "none", never another HMAC
// size; "exp" is required, "iat" may not lie in the future (beyond the
// leeway), and an operator can cap a token's lifetime (exp - iat), so a
// leaked or mis-minted token cannot live forever.
package auth

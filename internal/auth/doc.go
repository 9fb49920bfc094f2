// Package auth verifies the HS256 JWTs that identify chat users, mints
// tokens for development and tests, and keeps tokens out of logs.
//
// Tokens are issued by another service sharing JWT_SECRET. Verification is
// strict on purpose: only HS256 is accepted (never "none", never another
// HMAC size or an asymmetric algorithm whose public key could be mistaken
// for the shared secret), and "exp" is required, so a leaked token cannot
// live forever.
package auth

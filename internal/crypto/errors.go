package crypto

import "errors"

// Errors returned by NewKeyring, Seal, Open and SealedKeyID. They are always
// wrapped with context; match them with errors.Is.
var (
	// ErrKeySize: a key is not KeySize bytes long.
	ErrKeySize = errors.New("key must be 32 bytes")
	// ErrNoKeyring: the Keyring was not built by NewKeyring.
	ErrNoKeyring = errors.New("keyring has no keys (use NewKeyring)")
	// ErrTooLarge: the plaintext exceeds what one GCM message may hold.
	ErrTooLarge = errors.New("plaintext too large")
	// ErrTooShort: the input is shorter than the smallest sealed value.
	ErrTooShort = errors.New("sealed value too short")
	// ErrUnknownVersion: the input was not produced by a format this
	// package understands.
	ErrUnknownVersion = errors.New("unknown sealed format version")
	// ErrUnknownKeyID: the input was sealed with a key this Keyring does not
	// hold. The wrapping error names the id.
	ErrUnknownKeyID = errors.New("unknown key id")
	// ErrAuthentication: the key is right but the ciphertext, its header or
	// the additional data were changed, so nothing is returned.
	ErrAuthentication = errors.New("message authentication failed")
)

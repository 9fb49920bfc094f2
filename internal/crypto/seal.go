package crypto

import (
	"crypto/rand"
	"fmt"
)

// Layout of a sealed value; see the package documentation.
const (
	formatVersion byte = 1
	nonceSize          = 12 // GCM's standard 96-bit nonce
	tagSize            = 16 // GCM's full 128-bit tag
	headerSize         = 1 + keyIDSize

	// Overhead is how many bytes Seal adds to a plaintext: version, key id,
	// nonce and tag. It is also the length of the shortest sealed value.
	Overhead = headerSize + nonceSize + tagSize

	// maxPlaintext is GCM's limit for one message ((2^32 - 2) blocks).
	// cipher.AEAD panics beyond it, so Seal checks first.
	maxPlaintext = (1<<32 - 2) * 16
)

// Seal encrypts plaintext with the primary key under a fresh random nonce
// and authenticates additionalData along with it; Open needs the same
// additionalData. The result is len(plaintext)+Overhead bytes and never
// aliases plaintext.
//
// Random 96-bit nonces are safe for about 2^32 messages per key before the
// chance of a repeat stops being negligible, far more than a key should
// seal before it is rotated.
func (kr *Keyring) Seal(plaintext, additionalData []byte) ([]byte, error) {
	if kr == nil || kr.primary == nil {
		return nil, fmt.Errorf("crypto: seal: %w", ErrNoKeyring)
	}
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, fmt.Errorf("crypto: seal: %w (%d bytes)", ErrTooLarge, len(plaintext))
	}
	key := kr.primary

	out := make([]byte, headerSize+nonceSize, Overhead+len(plaintext))
	out[0] = formatVersion
	copy(out[1:headerSize], key.id[:])
	nonce := out[headerSize:]
	// Since Go 1.24 rand.Read cannot fail; the check keeps Seal correct if
	// that ever changes.
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("crypto: seal: read nonce: %w", err)
	}
	// Seal appends to out, leaving header and nonce in front.
	return key.aead.Seal(out, nonce, plaintext, bindHeader(out[:headerSize], additionalData)), nil
}

// Open authenticates and decrypts a value produced by Seal with any key of
// the Keyring. It fails, returning no plaintext, if the value is malformed,
// was sealed with a key the Keyring lacks, or was changed in any byte, or if
// additionalData differs from what Seal was given.
func (kr *Keyring) Open(sealed, additionalData []byte) ([]byte, error) {
	if kr == nil || kr.primary == nil {
		return nil, fmt.Errorf("crypto: open: %w", ErrNoKeyring)
	}
	id, err := parseHeader(sealed)
	if err != nil {
		return nil, fmt.Errorf("crypto: open: %w", err)
	}
	key, ok := kr.byID[id]
	if !ok {
		return nil, fmt.Errorf("crypto: open: %w %s: add that key to the keyring's old keys to read this value",
			ErrUnknownKeyID, id)
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	ciphertext := sealed[headerSize+nonceSize:]
	plaintext, err := key.aead.Open(nil, nonce, ciphertext, bindHeader(sealed[:headerSize], additionalData))
	if err != nil {
		// The cause is deliberately not distinguished further: GCM cannot
		// tell a wrong AAD from a tampered ciphertext, and neither should
		// callers try to.
		return nil, fmt.Errorf("crypto: open with key %s: %w (wrong additional data or modified value)",
			id, ErrAuthentication)
	}
	return plaintext, nil
}

// SealedKeyID returns the id of the key that sealed a value, without
// opening it, so a rotation job can find values still sealed with an old
// key. It checks only the length and version, not authenticity: the id of
// a forged value is whatever the forger wrote.
func SealedKeyID(sealed []byte) (string, error) {
	id, err := parseHeader(sealed)
	if err != nil {
		return "", fmt.Errorf("crypto: sealed key id: %w", err)
	}
	return id.String(), nil
}

// parseHeader checks the length and version of a sealed value and returns
// the key id it names.
func parseHeader(sealed []byte) (keyID, error) {
	var id keyID
	if len(sealed) < Overhead {
		return id, fmt.Errorf("%w: %d bytes, need at least %d", ErrTooShort, len(sealed), Overhead)
	}
	if sealed[0] != formatVersion {
		return id, fmt.Errorf("%w %d (this build reads version %d)", ErrUnknownVersion, sealed[0], formatVersion)
	}
	copy(id[:], sealed[1:headerSize])
	return id, nil
}

// bindHeader returns the data GCM authenticates besides the ciphertext: the
// header, then the caller's additional data. Authenticating the header
// means a value cannot be relabelled with another version or key id and
// still open, which keeps future format versions from being confused with
// this one. The header has a fixed length, so the concatenation is
// unambiguous.
func bindHeader(header, additionalData []byte) []byte {
	aad := make([]byte, 0, len(header)+len(additionalData))
	aad = append(aad, header...)
	return append(aad, additionalData...)
}

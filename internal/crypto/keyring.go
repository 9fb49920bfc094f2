package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// KeySize is the length in bytes of every key: AES-256.
const KeySize = 32

// keyIDSize is how many bytes of the key's SHA-256 digest name it.
const keyIDSize = 8

// keyID names a key inside sealed values; see KeyID.
type keyID [keyIDSize]byte

// String returns the id as KeyID and PrimaryID spell it.
func (id keyID) String() string { return hex.EncodeToString(id[:]) }

func idOf(key []byte) keyID {
	sum := sha256.Sum256(key)
	var id keyID
	copy(id[:], sum[:keyIDSize])
	return id
}

// KeyID returns the id under which sealed values name key: the first 8
// bytes of SHA-256(key), hex encoded (16 characters). It is stable across
// processes, so operators can put it in logs and configuration.
//
// The id is safe to reveal. SHA-256 is preimage resistant, so the id says
// nothing about the key beyond letting someone who already holds a
// candidate key check it, and a 256-bit random key cannot be found by
// guessing candidates. That check is no new capability either: any sealed
// value already confirms a guessed key through its GCM tag.
//
// KeyID accepts any length so it can name keys that NewKeyring would
// reject; only KeySize keys ever appear in sealed values.
func KeyID(key []byte) string { return idOf(key).String() }

// aeadKey is one key, ready to use. The raw key bytes are not kept: the
// AEAD holds its own expanded copy, and nothing else needs them.
type aeadKey struct {
	id   keyID
	aead cipher.AEAD
}

// Keyring seals with its primary key and opens values sealed with any of
// its keys. It is immutable after NewKeyring, and its AEADs are built once
// per key and are stateless, so it is safe for concurrent use.
type Keyring struct {
	primary *aeadKey
	byID    map[keyID]*aeadKey
}

var _ chat.Sealer = (*Keyring)(nil)

// NewKeyring builds a Keyring that seals with primary and also opens values
// sealed with any of old (previous primaries kept for rotation). Every key
// must be exactly KeySize bytes. Passing the same key twice is harmless and
// ignored; two different keys with the same id (a 64-bit collision, not
// expected in practice) are rejected, since values could not say which one
// sealed them.
//
// The Keyring does not retain the slices: callers may zero them afterwards.
// Errors never include key material.
func NewKeyring(primary []byte, old ...[]byte) (*Keyring, error) {
	kr := &Keyring{byID: make(map[keyID]*aeadKey, 1+len(old))}
	// Full digests tell "same key again" apart from an id collision without
	// comparing or keeping raw keys.
	seen := make(map[[sha256.Size]byte]bool, 1+len(old))

	p, err := kr.add(primary, seen)
	if err != nil {
		return nil, fmt.Errorf("crypto: primary key: %w", err)
	}
	kr.primary = p
	for i, key := range old {
		if _, err := kr.add(key, seen); err != nil {
			return nil, fmt.Errorf("crypto: old key %d: %w", i, err)
		}
	}
	return kr, nil
}

// add builds the AEAD for key and indexes it by id. It returns the entry
// already held when key was added before.
func (kr *Keyring) add(key []byte, seen map[[sha256.Size]byte]bool) (*aeadKey, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w, got %d", ErrKeySize, len(key))
	}
	id := idOf(key)
	digest := sha256.Sum256(key)
	if existing, ok := kr.byID[id]; ok {
		if seen[digest] {
			return existing, nil
		}
		return nil, fmt.Errorf("key id %s collides with another key's id", id)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("build AES cipher for key %s: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("build GCM for key %s: %w", id, err)
	}
	k := &aeadKey{id: id, aead: aead}
	kr.byID[id] = k
	seen[digest] = true
	return k, nil
}

// PrimaryID returns the id of the key Seal uses, or "" for a Keyring not
// built by NewKeyring.
func (kr *Keyring) PrimaryID() string {
	if kr == nil || kr.primary == nil {
		return ""
	}
	return kr.primary.id.String()
}

// String describes the Keyring by key ids only, so printing one (in a log
// line or a %+v of a config struct) cannot leak key material.
func (kr *Keyring) String() string {
	if kr == nil || kr.primary == nil {
		return "crypto.Keyring{}"
	}
	return fmt.Sprintf("crypto.Keyring{primary: %s, keys: %d}", kr.primary.id, len(kr.byID))
}

// GoString is String, so %#v is as safe as %v.
func (kr *Keyring) GoString() string { return kr.String() }

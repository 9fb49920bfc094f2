package crypto_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/crypto"
)

// newKey returns a fresh random AES-256 key.
func newKey(t testing.TB) []byte {
	t.Helper()
	key := make([]byte, crypto.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatalf("read key: %v", err)
	}
	return key
}

func mustKeyring(t testing.TB, primary []byte, old ...[]byte) *crypto.Keyring {
	t.Helper()
	kr, err := crypto.NewKeyring(primary, old...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

func TestKeyIDIsTruncatedSHA256(t *testing.T) {
	// SHA-256 of 32 zero bytes is 66687aad f862bd77 6c8f...; the id is its
	// first 8 bytes. A literal vector pins the id format across releases.
	if got, want := crypto.KeyID(make([]byte, 32)), "66687aadf862bd77"; got != want {
		t.Fatalf("KeyID(zeros) = %q, want %q", got, want)
	}
	key := newKey(t)
	if crypto.KeyID(key) != crypto.KeyID(bytes.Clone(key)) {
		t.Fatal("KeyID is not stable for equal keys")
	}
	if crypto.KeyID(key) == crypto.KeyID(newKey(t)) {
		t.Fatal("different keys share an id")
	}
	if got := mustKeyring(t, key).PrimaryID(); got != crypto.KeyID(key) {
		t.Fatalf("PrimaryID = %q, want KeyID(primary) %q", got, crypto.KeyID(key))
	}
}

func TestNewKeyringRejectsWrongKeyLength(t *testing.T) {
	good := newKey(t)
	for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
		// A recognisable pattern, so the test can prove errors never echo it.
		bad := bytes.Repeat([]byte{0xAB}, n)
		cases := []struct {
			name string
			make func() (*crypto.Keyring, error)
		}{
			{"primary", func() (*crypto.Keyring, error) { return crypto.NewKeyring(bad) }},
			{"old", func() (*crypto.Keyring, error) { return crypto.NewKeyring(good, good, bad) }},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				kr, err := tc.make()
				if err == nil {
					t.Fatalf("NewKeyring accepted a %d-byte key", n)
				}
				if kr != nil {
					t.Error("NewKeyring returned a keyring with its error")
				}
				if !errors.Is(err, crypto.ErrKeySize) {
					t.Errorf("err = %v, want ErrKeySize", err)
				}
				// Neither raw nor hex-encoded key bytes may appear.
				msg := err.Error()
				if strings.Contains(msg, "\xab") || strings.Contains(strings.ToLower(msg), "abab") {
					t.Errorf("error echoes key bytes: %q", msg)
				}
			})
		}
	}
}

func TestNewKeyringIgnoresRepeatedKey(t *testing.T) {
	key := newKey(t)
	kr := mustKeyring(t, key, key, bytes.Clone(key))
	sealed, err := kr.Seal([]byte("hi"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if _, err := kr.Open(sealed, nil); err != nil {
		t.Fatalf("Open: %v", err)
	}
}

func TestKeyringFormattingHidesKeys(t *testing.T) {
	key := bytes.Repeat([]byte{0x5A}, crypto.KeySize) // "ZZZZ..."
	kr := mustKeyring(t, key)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, kr)
		if strings.Contains(out, "ZZZZ") || strings.Contains(strings.ToLower(out), "5a5a5a") {
			t.Errorf("%s of a Keyring shows key bytes: %q", verb, out)
		}
		if !strings.Contains(out, kr.PrimaryID()) {
			t.Errorf("%s of a Keyring = %q, want it to name the primary id", verb, out)
		}
	}
}

func TestZeroKeyringFailsWithoutPanicking(t *testing.T) {
	var kr crypto.Keyring
	if _, err := kr.Seal([]byte("x"), nil); !errors.Is(err, crypto.ErrNoKeyring) {
		t.Errorf("Seal on zero Keyring: err = %v, want ErrNoKeyring", err)
	}
	if _, err := kr.Open(make([]byte, 64), nil); !errors.Is(err, crypto.ErrNoKeyring) {
		t.Errorf("Open on zero Keyring: err = %v, want ErrNoKeyring", err)
	}
	if id := kr.PrimaryID(); id != "" {
		t.Errorf("PrimaryID on zero Keyring = %q, want empty", id)
	}
}

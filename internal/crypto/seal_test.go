package crypto_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/chatboxhq/chatbox/internal/crypto"
)

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	large := bytes.Repeat(newKey(t), (1<<20)/crypto.KeySize) // 1 MiB, not compressible text
	cases := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"nil", nil, nil},
		{"empty", []byte{}, []byte("session-1/message-1")},
		{"ascii", []byte("hello, world"), []byte("session-1/message-2")},
		{"unicode", []byte("héllo 世界 🙂 — ñ"), []byte("séssion/мsg")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe, 0}, nil},
		{"1MiB", large, []byte("large")},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := kr.Seal(tc.plaintext, tc.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if got, want := len(sealed), len(tc.plaintext)+crypto.Overhead; got != want {
				t.Errorf("len(sealed) = %d, want len(plaintext)+Overhead = %d", got, want)
			}
			got, err := kr.Open(sealed, tc.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Fatalf("Open returned %d bytes that differ from the %d sealed", len(got), len(tc.plaintext))
			}
			id, err := crypto.SealedKeyID(sealed)
			if err != nil || id != kr.PrimaryID() {
				t.Errorf("SealedKeyID = %q, %v; want %q", id, err, kr.PrimaryID())
			}
		})
	}
}

func TestSealIsRandomised(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	plaintext, aad := []byte("same message"), []byte("same aad")
	seen := make(map[string]bool)
	for range 64 {
		sealed, err := kr.Seal(plaintext, aad)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if seen[string(sealed)] {
			t.Fatal("Seal produced the same output twice: nonce reused")
		}
		seen[string(sealed)] = true
	}
}

func TestSealDoesNotAliasPlaintext(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	plaintext := make([]byte, 5, 4096) // spare capacity Seal must not write into
	copy(plaintext, "hello")
	sealed, err := kr.Seal(plaintext, nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if string(plaintext) != "hello" || &sealed[0] == &plaintext[:1][0] {
		t.Fatal("Seal wrote into or returned the plaintext buffer")
	}
}

func TestPlaintextNotInSealed(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	plaintext := []byte("the quick brown fox jumps over the lazy dog")
	sealed, err := kr.Seal(plaintext, nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	// Any 8-byte window of the plaintext surviving would be a leak; a
	// chance match of 64 bits is negligible.
	for i := 0; i+8 <= len(plaintext); i++ {
		if bytes.Contains(sealed, plaintext[i:i+8]) {
			t.Fatalf("sealed value contains plaintext bytes %q", plaintext[i:i+8])
		}
	}
}

func TestOpenRejectsWrongAdditionalData(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	cases := []struct {
		name       string
		seal, open []byte
	}{
		{"other message", []byte("s1/m1"), []byte("s1/m2")},
		{"other session", []byte("s1/m1"), []byte("s2/m1")},
		{"missing", []byte("s1/m1"), nil},
		{"unexpected", nil, []byte("s1/m1")},
		{"prefix", []byte("s1/m1"), []byte("s1/m")},
		{"extended", []byte("s1/m1"), []byte("s1/m10")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := kr.Seal([]byte("secret"), tc.seal)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			got, err := kr.Open(sealed, tc.open)
			if !errors.Is(err, crypto.ErrAuthentication) {
				t.Fatalf("Open with wrong AAD: err = %v, want ErrAuthentication", err)
			}
			if got != nil {
				t.Fatal("Open returned plaintext along with its error")
			}
		})
	}
}

func TestOpenRejectsAnyTamperedByte(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	aad := []byte("s1/m1")
	sealed, err := kr.Seal([]byte("attack at dawn"), aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= mask
			got, err := kr.Open(tampered, aad)
			if err == nil || got != nil {
				t.Fatalf("byte %d ^ %#x: Open succeeded", i, mask)
			}
			// Each region fails for its own reason, so operators get a
			// message that points at the problem.
			var want error
			switch {
			case i == 0:
				want = crypto.ErrUnknownVersion
			case i < 1+8:
				want = crypto.ErrUnknownKeyID
			default:
				want = crypto.ErrAuthentication
			}
			if !errors.Is(err, want) {
				t.Fatalf("byte %d ^ %#x: err = %v, want %v", i, mask, err, want)
			}
		}
	}
}

func TestOpenRejectsTruncated(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	sealed, err := kr.Seal([]byte("attack at dawn"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	for n := range len(sealed) {
		_, err := kr.Open(sealed[:n], nil)
		want := crypto.ErrAuthentication
		if n < crypto.Overhead {
			want = crypto.ErrTooShort
		}
		if !errors.Is(err, want) {
			t.Fatalf("Open(first %d of %d bytes): err = %v, want %v", n, len(sealed), err, want)
		}
	}
	if _, err := crypto.SealedKeyID(sealed[:crypto.Overhead-1]); !errors.Is(err, crypto.ErrTooShort) {
		t.Errorf("SealedKeyID(short): err = %v, want ErrTooShort", err)
	}
}

func TestOpenUnknownKeyNamesTheID(t *testing.T) {
	oldKey := newKey(t)
	sealed, err := mustKeyring(t, oldKey).Seal([]byte("x"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	_, err = mustKeyring(t, newKey(t)).Open(sealed, nil)
	if !errors.Is(err, crypto.ErrUnknownKeyID) {
		t.Fatalf("err = %v, want ErrUnknownKeyID", err)
	}
	if !strings.Contains(err.Error(), crypto.KeyID(oldKey)) {
		t.Fatalf("error %q does not name the missing key id %s", err, crypto.KeyID(oldKey))
	}
}

func TestOpenUnknownVersion(t *testing.T) {
	kr := mustKeyring(t, newKey(t))
	sealed, err := kr.Seal([]byte("x"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	sealed[0] = 2
	if _, err := kr.Open(sealed, nil); !errors.Is(err, crypto.ErrUnknownVersion) {
		t.Fatalf("Open: err = %v, want ErrUnknownVersion", err)
	}
	if _, err := crypto.SealedKeyID(sealed); !errors.Is(err, crypto.ErrUnknownVersion) {
		t.Fatalf("SealedKeyID: err = %v, want ErrUnknownVersion", err)
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	before := mustKeyring(t, k1)
	after := mustKeyring(t, k2, k1) // k2 promoted, k1 kept to read old rows

	aad := []byte("s1/m1")
	oldSealed, err := before.Seal([]byte("written before rotation"), aad)
	if err != nil {
		t.Fatalf("Seal before rotation: %v", err)
	}
	got, err := after.Open(oldSealed, aad)
	if err != nil || string(got) != "written before rotation" {
		t.Fatalf("Open old value after rotation = %q, %v", got, err)
	}

	newSealed, err := after.Seal([]byte("written after rotation"), aad)
	if err != nil {
		t.Fatalf("Seal after rotation: %v", err)
	}
	for sealed, want := range map[string]string{string(oldSealed): crypto.KeyID(k1), string(newSealed): crypto.KeyID(k2)} {
		if id, err := crypto.SealedKeyID([]byte(sealed)); err != nil || id != want {
			t.Errorf("SealedKeyID = %q, %v; want %q", id, err, want)
		}
	}
	// An instance not yet given the new key must fail loudly, not guess.
	if _, err := before.Open(newSealed, aad); !errors.Is(err, crypto.ErrUnknownKeyID) {
		t.Fatalf("old keyring opening new value: err = %v, want ErrUnknownKeyID", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	kr := mustKeyring(t, newKey(t), newKey(t))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				msg := []byte(strings.Repeat("x", g*10+i))
				sealed, err := kr.Seal(msg, []byte{byte(g)})
				if err != nil {
					errs <- err
					return
				}
				got, err := kr.Open(sealed, []byte{byte(g)})
				if err != nil || !bytes.Equal(got, msg) {
					errs <- errors.Join(errors.New("round trip mismatch"), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

package crypto_test

import (
	"bytes"
	"testing"

	"github.com/chatboxhq/chatbox/internal/crypto"
)

// FuzzOpen feeds Open arbitrary input. Open must never panic, and must only
// succeed for values this process sealed, with their own additional data:
// the fuzzer cannot forge a GCM tag. The key is random per process, so
// values kept in the fuzz cache from earlier runs can never open.
func FuzzOpen(f *testing.F) {
	kr := mustKeyring(f, newKey(f), newKey(f))

	type seed struct{ aad, plaintext []byte }
	sealedSeeds := make(map[string]seed)
	for _, s := range []seed{
		{nil, nil},
		{[]byte("s1/m1"), []byte("hello")},
		{[]byte("s1/m2"), []byte("héllo 世界")},
		{nil, bytes.Repeat([]byte{0}, 100)},
	} {
		sealed, err := kr.Seal(s.plaintext, s.aad)
		if err != nil {
			f.Fatalf("Seal: %v", err)
		}
		sealedSeeds[string(sealed)] = s
		f.Add(sealed, s.aad)
		f.Add(sealed[:len(sealed)-1], s.aad)
		f.Add(sealed, append(bytes.Clone(s.aad), 'x'))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte(nil))
	f.Add(make([]byte, crypto.Overhead), []byte("x"))
	f.Add(append([]byte{2}, make([]byte, 64)...), []byte(nil))

	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		_, _ = crypto.SealedKeyID(sealed) // must not panic either
		got, err := kr.Open(sealed, aad)
		if err != nil {
			if got != nil {
				t.Fatal("Open returned plaintext with an error")
			}
			return
		}
		s, ok := sealedSeeds[string(sealed)]
		if !ok {
			t.Fatalf("Open accepted %d bytes this process never sealed", len(sealed))
		}
		if !bytes.Equal(aad, s.aad) || !bytes.Equal(got, s.plaintext) {
			t.Fatal("Open accepted a sealed seed with other additional data or returned other plaintext")
		}
	})
}

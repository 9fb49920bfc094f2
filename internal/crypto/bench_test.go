package crypto_test

import "testing"

func BenchmarkSeal(b *testing.B) {
	kr := mustKeyring(b, newKey(b))
	plaintext, aad := make([]byte, 1024), []byte("session-id/message-id")
	b.SetBytes(int64(len(plaintext)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Seal(plaintext, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	kr := mustKeyring(b, newKey(b))
	aad := []byte("session-id/message-id")
	sealed, err := kr.Seal(make([]byte, 1024), aad)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Open(sealed, aad); err != nil {
			b.Fatal(err)
		}
	}
}

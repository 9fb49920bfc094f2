package chat

// Sealer encrypts message content before it is stored and decrypts it after
// it is read. Implementations authenticate additionalData (the domain binds
// each ciphertext to its session and message ids, so ciphertexts cannot be
// swapped between rows) and tag every ciphertext with the id of the key that
// sealed it, so keys can rotate while old rows stay readable.
//
// Open must fail, never return garbage, for a tampered ciphertext, wrong
// additional data or an unknown key id. Both methods are safe for concurrent
// use.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(sealed, additionalData []byte) ([]byte, error)
}

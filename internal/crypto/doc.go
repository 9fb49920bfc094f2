// Package crypto seals chat message content with AES-256-GCM before it is
// stored, implementing chat.Sealer.
//
// A sealed value is self-describing, so any instance holding the right key
// can open it without outside bookkeeping:
//
//	+---------+-----------------+--------------+---------------------------+
//	| version | key id          | nonce        | ciphertext || GCM tag     |
//	| 1 byte  | 8 bytes         | 12 bytes     | len(plaintext) + 16 bytes |
//	+---------+-----------------+--------------+---------------------------+
//
// The key id names the key that sealed the value. A Keyring seals with its
// primary key and opens with any key it holds, so a key is rotated by making
// a new key primary and keeping the previous one among the old keys until
// every row sealed with it has been re-sealed (SealedKeyID tells a
// re-sealing job which rows still need it).
package crypto

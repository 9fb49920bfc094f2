package config

import (
	"fmt"
	"strings"
)

// encryptionKeysOldSpec decodes ENCRYPTION_KEYS_OLD: previous encryption
// keys, each base64 of 32 raw bytes, comma-separated in the environment or
// an array in the file. Messages never quote a key, only its position.
func encryptionKeysOldSpec(k Key) spec[Config] {
	return spec[Config]{
		key:  k,
		kind: kindList,
		set: func(c *Config, v value) error {
			items := v.items
			if !v.array {
				items = strings.Split(v.text, ",")
			}
			var keys [][]byte
			for i, item := range items {
				if strings.TrimSpace(item) == "" {
					continue
				}
				key, err := decodeKey(item)
				if err != nil {
					return fmt.Errorf("key %d: %w", i+1, err)
				}
				keys = append(keys, key)
			}
			c.Storage.EncryptionKeysOld = keys
			return nil
		},
		get: func(c *Config) string {
			encoded := make([]string, len(c.Storage.EncryptionKeysOld))
			for i, key := range c.Storage.EncryptionKeysOld {
				encoded[i] = encodeKey(key)
			}
			return strings.Join(encoded, ",")
		},
	}
}

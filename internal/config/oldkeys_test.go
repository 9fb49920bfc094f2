package config

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// testOldKeys is two previous encryption keys as ENCRYPTION_KEYS_OLD holds
// them: base64 of "old-key-one-0123456789abcdef0123" and "...two...".
var testOldKeys = base64.StdEncoding.EncodeToString([]byte("old-key-one-0123456789abcdef0123")) + "," +
	base64.RawURLEncoding.EncodeToString([]byte("old-key-two-0123456789abcdef0123"))

func TestEncryptionKeysOld(t *testing.T) {
	want := [][]byte{[]byte("old-key-one-0123456789abcdef0123"), []byte("old-key-two-0123456789abcdef0123")}
	tests := []struct {
		name string
		path string // config file content, "" for none
		env  env
	}{
		{"environment", "", env{"ENCRYPTION_KEYS_OLD": testOldKeys}},
		{"environment with blanks", "", env{"ENCRYPTION_KEYS_OLD": " , " + testOldKeys + ", "}},
		{"file array", `[storage]
encryption_keys_old = ["` + testOldKeys[:44] + `", "` + testOldKeys[45:] + `"]
`, env{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.path != "" {
				path = writeConfig(t, tt.path)
			}
			c := mustLoad(t, path, prodEnv(t).withAll(tt.env))
			if len(c.Storage.EncryptionKeysOld) != len(want) {
				t.Fatalf("%d old keys, want %d", len(c.Storage.EncryptionKeysOld), len(want))
			}
			for i := range want {
				if !bytes.Equal(c.Storage.EncryptionKeysOld[i], want[i]) {
					t.Errorf("old key %d differs", i+1)
				}
			}
			if r := c.Redacted()["ENCRYPTION_KEYS_OLD"]; r != "set" {
				t.Errorf("Redacted shows %q, want set", r)
			}
		})
	}
	c := mustLoad(t, "", prodEnv(t))
	if c.Storage.EncryptionKeysOld != nil || c.Redacted()["ENCRYPTION_KEYS_OLD"] != "unset" {
		t.Errorf("unset: %d keys, shown as %q", len(c.Storage.EncryptionKeysOld), c.Redacted()["ENCRYPTION_KEYS_OLD"])
	}
}

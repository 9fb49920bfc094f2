package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMintVerifyRoundTrip(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	tests := []struct {
		name string
		opts MintOptions
		want Claims
	}{
		{"user", MintOptions{UserID: "u1", Name: "Ann", TTL: time.Hour, Now: now},
			Claims{UserID: "u1", Name: "Ann", ExpiresAt: now.Add(time.Hour)}},
		{"admin", MintOptions{UserID: "root", Admin: true, TTL: time.Minute, Now: now},
			Claims{UserID: "root", Name: "root", Roles: []string{"admin"}, ExpiresAt: now.Add(time.Minute)}},
	}
	v := NewVerifier([]byte(testSecret), 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := Mint([]byte(testSecret), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.UserID != tt.want.UserID || got.Name != tt.want.Name || !slices.Equal(got.Roles, tt.want.Roles) ||
				!got.ExpiresAt.Equal(tt.want.ExpiresAt) || got.Admin() != tt.opts.Admin {
				t.Errorf("claims = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMintClaims(t *testing.T) {
	now := time.Unix(1700000000, 0)
	token, err := Mint([]byte(testSecret), MintOptions{UserID: "u1", TTL: time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var h map[string]any
	var p map[string]any
	if json.Unmarshal(header, &h) != nil || json.Unmarshal(payload, &p) != nil {
		t.Fatalf("undecodable token %q", token)
	}
	if h["alg"] != "HS256" {
		t.Errorf("alg = %v", h["alg"])
	}
	want := map[string]any{"sub": "u1", "iat": 1700000000.0, "exp": 1700003600.0}
	if len(p) != len(want) {
		t.Errorf("payload %v has extra claims (want only %v)", p, want)
	}
	for k, w := range want {
		if p[k] != w {
			t.Errorf("%s = %v, want %v", k, p[k], w)
		}
	}
}

func TestMintErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		opts   MintOptions
	}{
		{"empty secret", nil, MintOptions{UserID: "u", TTL: time.Hour}},
		{"empty user", []byte(testSecret), MintOptions{TTL: time.Hour}},
		{"zero TTL", []byte(testSecret), MintOptions{UserID: "u"}},
	}
	for _, tt := range tests {
		if _, err := Mint(tt.secret, tt.opts); err == nil {
			t.Errorf("%s: Mint succeeded", tt.name)
		}
	}
}

func TestMintedTokenExpires(t *testing.T) {
	for name, o := range map[string]MintOptions{
		"old":          {UserID: "u1", TTL: time.Minute, Now: time.Now().Add(-time.Hour)},
		"negative TTL": {UserID: "u1", TTL: -time.Hour},
	} {
		token, err := Mint([]byte(testSecret), o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewVerifier([]byte(testSecret), 30*time.Second).Verify(token); !errors.Is(err, ErrExpired) {
			t.Errorf("%s: Verify: %v, want ErrExpired", name, err)
		}
	}
}

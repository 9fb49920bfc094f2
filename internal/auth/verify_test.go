package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Test keys; tests convert them with []byte(...) so no test can alter
// another's key.
const (
	testSecret  = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
	otherSecret = "other-secret-0123456789abcdefghijklmnopqrstuvwxy"
)

// sign builds an HS256 token with arbitrary claims.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// unsigned crafts an alg=none token by hand, as an attacker would.
func unsigned(header, payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "."
}

func TestVerify(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	exp := now.Add(time.Hour).Unix()
	past := now.Add(-10 * time.Second).Unix()
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, []byte(testSecret), c) }
	payload := `{"sub":"u1","exp":` + strconv.FormatInt(exp, 10) + `}`

	tests := []struct {
		name    string
		token   string
		want    Claims // checked when wantErr is nil
		wantErr error
	}{
		{name: "valid", token: hs(jwt.MapClaims{"sub": "u1", "name": "Ann", "roles": []string{"user"}, "exp": exp}),
			want: Claims{UserID: "u1", Name: "Ann", Roles: []string{"user"}, ExpiresAt: time.Unix(exp, 0)}},
		{name: "name defaults to user id", token: hs(jwt.MapClaims{"sub": "u1", "exp": exp}),
			want: Claims{UserID: "u1", Name: "u1", ExpiresAt: time.Unix(exp, 0)}},
		{name: "user_id fallback", token: hs(jwt.MapClaims{"user_id": "u2", "exp": exp}),
			want: Claims{UserID: "u2", Name: "u2", ExpiresAt: time.Unix(exp, 0)}},
		{name: "numeric user_id", token: hs(jwt.MapClaims{"user_id": 12345678901, "exp": exp}),
			want: Claims{UserID: "12345678901", Name: "12345678901", ExpiresAt: time.Unix(exp, 0)}},
		{name: "sub wins over user_id", token: hs(jwt.MapClaims{"sub": "s", "user_id": "u", "exp": exp}),
			want: Claims{UserID: "s", Name: "s", ExpiresAt: time.Unix(exp, 0)}},
		{name: "roles as string", token: hs(jwt.MapClaims{"sub": "u1", "roles": "chat_admin", "exp": exp}),
			want: Claims{UserID: "u1", Name: "u1", Roles: []string{"chat_admin"}, ExpiresAt: time.Unix(exp, 0)}},
		{name: "roles as array", token: hs(jwt.MapClaims{"sub": "u1", "roles": []string{"a", "admin"}, "exp": exp}),
			want: Claims{UserID: "u1", Name: "u1", Roles: []string{"a", "admin"}, ExpiresAt: time.Unix(exp, 0)}},
		{name: "expired within leeway", token: hs(jwt.MapClaims{"sub": "u1", "exp": past}),
			want: Claims{UserID: "u1", Name: "u1", ExpiresAt: time.Unix(past, 0)}},

		{name: "expired", token: hs(jwt.MapClaims{"sub": "u1", "exp": now.Add(-time.Hour).Unix()}), wantErr: ErrExpired},
		{name: "wrong key", token: sign(t, jwt.SigningMethodHS256, []byte(otherSecret), jwt.MapClaims{"sub": "u1", "exp": exp}), wantErr: ErrInvalid},
		{name: "expired and wrong key is invalid, not expired", token: sign(t, jwt.SigningMethodHS256, []byte(otherSecret), jwt.MapClaims{"sub": "u1", "exp": 1}), wantErr: ErrInvalid},
		{name: "alg none", token: unsigned(`{"alg":"none","typ":"JWT"}`, payload), wantErr: ErrInvalid},
		{name: "alg None", token: unsigned(`{"alg":"None","typ":"JWT"}`, payload), wantErr: ErrInvalid},
		{name: "alg none with a signature", token: unsigned(`{"alg":"none"}`, payload) + "c2ln", wantErr: ErrInvalid},
		{name: "missing exp", token: hs(jwt.MapClaims{"sub": "u1"}), wantErr: ErrInvalid},
		{name: "exp as string", token: hs(jwt.MapClaims{"sub": "u1", "exp": "tomorrow"}), wantErr: ErrInvalid},
		{name: "not valid yet", token: hs(jwt.MapClaims{"sub": "u1", "exp": exp, "nbf": now.Add(time.Hour).Unix()}), wantErr: ErrInvalid},
		{name: "RS256", token: sign(t, jwt.SigningMethodRS256, rsaKey, jwt.MapClaims{"sub": "u1", "exp": exp}), wantErr: ErrInvalid},
		{name: "HS384", token: sign(t, jwt.SigningMethodHS384, []byte(testSecret), jwt.MapClaims{"sub": "u1", "exp": exp}), wantErr: ErrInvalid},
		{name: "HS512", token: sign(t, jwt.SigningMethodHS512, []byte(testSecret), jwt.MapClaims{"sub": "u1", "exp": exp}), wantErr: ErrInvalid},
		{name: "no user id", token: hs(jwt.MapClaims{"name": "x", "exp": exp}), wantErr: ErrInvalid},
		{name: "blank user id", token: hs(jwt.MapClaims{"sub": " ", "exp": exp}), wantErr: ErrInvalid},
		{name: "roles of numbers", token: hs(jwt.MapClaims{"sub": "u1", "roles": []int{1}, "exp": exp}), wantErr: ErrInvalid},
		{name: "sub not a string", token: hs(jwt.MapClaims{"sub": 5, "exp": exp}), wantErr: ErrInvalid},
		{name: "empty", token: "", wantErr: ErrInvalid},
		{name: "garbage", token: "not-a-token", wantErr: ErrInvalid},
		{name: "two segments", token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0", wantErr: ErrInvalid},
		{name: "bad base64", token: "!!!.@@@.###", wantErr: ErrInvalid},
		{name: "header not JSON", token: base64.RawURLEncoding.EncodeToString([]byte("{")) + ".e30.c2ln", wantErr: ErrInvalid},
		{name: "oversized", token: strings.Repeat("a", maxTokenLen+1), wantErr: ErrInvalid},
	}
	v := NewVerifier([]byte(testSecret), 30*time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.token)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				other := ErrExpired
				if tt.wantErr == ErrExpired {
					other = ErrInvalid
				}
				if errors.Is(err, other) {
					t.Errorf("error %v matches both sentinels", err)
				}
				if tt.token != "" && strings.Contains(err.Error(), tt.token) {
					t.Errorf("error quotes the token: %v", err)
				}
				if got.UserID != "" {
					t.Errorf("claims returned with an error: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.UserID != tt.want.UserID || got.Name != tt.want.Name || !slices.Equal(got.Roles, tt.want.Roles) || !got.ExpiresAt.Equal(tt.want.ExpiresAt) {
				t.Errorf("claims = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerifyNoLeeway(t *testing.T) {
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{"sub": "u1", "exp": time.Now().Add(-2 * time.Second).Unix()})
	if _, err := NewVerifier([]byte(testSecret), 0).Verify(token); !errors.Is(err, ErrExpired) {
		t.Errorf("expired token without leeway: %v", err)
	}
}

func TestVerifyEmptySecret(t *testing.T) {
	// A token signed with an empty key must not pass a verifier without one.
	token := sign(t, jwt.SigningMethodHS256, []byte{}, jwt.MapClaims{"sub": "u1", "exp": time.Now().Add(time.Hour).Unix()})
	if _, err := NewVerifier(nil, 0).Verify(token); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty secret verified a token: %v", err)
	}
}

func TestVerifierCopiesSecret(t *testing.T) {
	secret := []byte(testSecret)
	v := NewVerifier(secret, 0)
	secret[0] ^= 0xff
	token, err := Mint([]byte(testSecret), MintOptions{UserID: "u1", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(token); err != nil {
		t.Errorf("verifier affected by a later change to the caller's slice: %v", err)
	}
}

func TestAdmin(t *testing.T) {
	tests := []struct {
		roles []string
		want  bool
	}{
		{nil, false},
		{[]string{"user"}, false},
		{[]string{"admin"}, true},
		{[]string{"user", "chat_admin"}, true},
		{[]string{"Admin"}, false},
		{[]string{"administrator"}, false},
	}
	for _, tt := range tests {
		if got := (Claims{Roles: tt.roles}).Admin(); got != tt.want {
			t.Errorf("Admin(%q) = %v, want %v", tt.roles, got, tt.want)
		}
	}
}

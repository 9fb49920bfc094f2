package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify: arbitrary strings never panic, never verify (the fuzzer does
// not know the secret; the seeds are signed with other keys or none), and
// errors match exactly one sentinel without quoting the input.
func FuzzVerify(f *testing.F) {
	exp := time.Now().Add(time.Hour).Unix()
	for _, seed := range []string{
		"",
		"a.b.c",
		"..",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
		unsigned(`{"alg":"none"}`, `{"sub":"u","exp":9999999999}`),
		unsigned(`{"alg":"HS256"}`, `{"sub":"u","exp":9999999999}`),
		unsigned(`{"alg":"HS256","crit":["x"]}`, `{"user_id":1e400,"roles":{"a":1}}`),
	} {
		f.Add(seed)
	}
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodHS256, jwt.SigningMethodHS384, jwt.SigningMethodHS512} {
		token, err := jwt.NewWithClaims(m, jwt.MapClaims{"sub": "u", "exp": exp, "roles": "admin"}).SignedString([]byte(otherSecret))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(token)
	}
	v := NewVerifier([]byte(testSecret), time.Minute)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err == nil {
			t.Fatalf("verified a token the fuzzer forged: %+v", c)
		}
		if errors.Is(err, ErrExpired) == errors.Is(err, ErrInvalid) {
			t.Errorf("error %v must match exactly one of ErrExpired, ErrInvalid", err)
		}
		if len(token) >= 8 && strings.Contains(err.Error(), token) {
			t.Errorf("error quotes the token: %v", err)
		}
	})
}

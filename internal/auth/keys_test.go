package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://idp.example.test/realms/staff"
	testAudience = "chatbox"
)

// provider is an identity provider's JWKS endpoint: real keys, served
// over loopback HTTP, which can be made to fail.
type provider struct {
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	srv     *httptest.Server
	fetches atomic.Int64
	down    atomic.Bool
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{}
	var err error
	if p.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, p.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	var set jwkset.JWKSMarshal
	// No "alg" on the RSA and EC keys, as several providers publish them:
	// the verifier itself must bind the algorithm to the key type.
	for kid, key := range map[string]any{"rsa-1": p.rsa.Public(), "ec-1": p.ec.Public(), "ed-1": p.ed.Public()} {
		jwk, err := jwkset.NewJWKFromKey(key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid}})
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		if p.down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// keySet fetches p's keys; log receives what the key set logs.
func (p *provider) keySet(t *testing.T, log *slog.Logger) *KeySet {
	t.Helper()
	ks, err := NewKeySet(t.Context(), KeySetOptions{URL: p.srv.URL, Client: p.srv.Client(), Logger: log, UnknownKIDEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// signed signs claims with method and key, naming kid.
func signed(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// good is a valid payload from the provider; extra overrides claims.
func good(extra jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "staff-1", "iss": testIssuer, "aud": []string{testAudience, "account"},
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "roles": []string{"admin"}}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func TestVerifyJWKSAlgorithms(t *testing.T) {
	p := newProvider(t)
	v := New(Options{Keys: p.keySet(t, slog.New(slog.DiscardHandler)), Issuer: testIssuer, Audience: []string{testAudience}, Leeway: 30 * time.Second})
	tests := []struct {
		name   string
		method jwt.SigningMethod
		kid    string
		key    crypto.Signer
	}{
		{"RS256", jwt.SigningMethodRS256, "rsa-1", p.rsa},
		{"PS256", jwt.SigningMethodPS256, "rsa-1", p.rsa},
		{"ES256", jwt.SigningMethodES256, "ec-1", p.ec},
		{"EdDSA", jwt.SigningMethodEdDSA, "ed-1", p.ed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(signed(t, tt.method, tt.kid, tt.key, good(nil)))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.UserID != "staff-1" || !c.Admin() {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}

// TestVerifyJWKSAttacks: every forgery of the issue is refused, each by the
// check named in its case.
func TestVerifyJWKSAttacks(t *testing.T) {
	p := newProvider(t)
	v := New(Options{Keys: p.keySet(t, slog.New(slog.DiscardHandler)), Issuer: testIssuer, Audience: []string{testAudience},
		Leeway: 30 * time.Second, MaxLifetime: 24 * time.Hour})
	der, err := x509.MarshalPKIXPublicKey(p.rsa.Public())
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs := func(c jwt.MapClaims) string { return signed(t, jwt.SigningMethodRS256, "rsa-1", p.rsa, c) }
	tampered := func() string {
		parts := strings.Split(rs(good(nil)), ".")
		parts[1] = strings.TrimRight(jwtSegment(t, good(jwt.MapClaims{"sub": "someone-else"})), "=")
		return strings.Join(parts, ".")
	}
	now := time.Now()
	tests := []struct{ name, token string }{
		{"alg none", unsigned(`{"alg":"none","kid":"rsa-1"}`, string(mustJSON(t, good(nil))))},
		{"HS256 with the PEM public key as secret", signed(t, jwt.SigningMethodHS256, "rsa-1", pemKey, good(nil))},
		{"HS256 with the DER public key as secret", signed(t, jwt.SigningMethodHS256, "rsa-1", der, good(nil))},
		{"RS256 naming the EC key", signed(t, jwt.SigningMethodRS256, "ec-1", p.rsa, good(nil))},
		{"ES256 naming the RSA key", signed(t, jwt.SigningMethodES256, "rsa-1", p.ec, good(nil))},
		{"unknown kid", signed(t, jwt.SigningMethodRS256, "rsa-2", otherRSA, good(nil))},
		{"no kid", signed(t, jwt.SigningMethodRS256, "", p.rsa, good(nil))},
		{"right kid, other key", signed(t, jwt.SigningMethodRS256, "rsa-1", otherRSA, good(nil))},
		{"tampered payload", tampered()},
		{"wrong issuer", rs(good(jwt.MapClaims{"iss": "https://evil.example.test"}))},
		{"no issuer", rs(good(jwt.MapClaims{"iss": nil}))},
		{"wrong audience", rs(good(jwt.MapClaims{"aud": "another-app"}))},
		{"no audience", rs(good(jwt.MapClaims{"aud": nil}))},
		{"issued a year ahead", rs(good(jwt.MapClaims{"iat": now.AddDate(1, 0, 0).Unix(), "exp": now.AddDate(1, 0, 1).Unix()}))},
		{"issued beyond the leeway", rs(good(jwt.MapClaims{"iat": now.Add(2 * time.Minute).Unix()}))},
		{"lifetime above the maximum", rs(good(jwt.MapClaims{"exp": now.Add(48 * time.Hour).Unix()}))},
		{"no iat with a maximum lifetime", rs(good(jwt.MapClaims{"iat": nil}))},
		{"console kid signed by the provider", signed(t, jwt.SigningMethodRS256, consoleKeyID, p.rsa, good(nil))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(tt.token)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalid", c, err)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}

func TestVerifyIssuedAtWithinLeeway(t *testing.T) {
	now := time.Now()
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{"sub": "u1", "iat": now.Add(10 * time.Second).Unix(), "exp": now.Add(time.Hour).Unix()})
	if _, err := NewVerifier([]byte(testSecret), 30*time.Second).Verify(token); err != nil {
		t.Errorf("iat 10 s ahead with 30 s leeway: %v", err)
	}
	if _, err := NewVerifier([]byte(testSecret), 0).Verify(token); !errors.Is(err, ErrInvalid) {
		t.Errorf("iat 10 s ahead without leeway: %v, want ErrInvalid", err)
	}
}

// TestUnknownKIDRefreshIsRateLimited: a flood of random kids costs the
// provider one fetch, not one per token.
func TestUnknownKIDRefreshIsRateLimited(t *testing.T) {
	p := newProvider(t)
	v := New(Options{Keys: p.keySet(t, slog.New(slog.DiscardHandler))})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(signed(t, jwt.SigningMethodRS256, "rsa-1", p.rsa, good(nil))); err != nil {
		t.Fatal(err)
	}
	before := p.fetches.Load()
	for i := range 50 {
		token := signed(t, jwt.SigningMethodRS256, "random-"+strconv.Itoa(i), other, good(nil))
		if _, err := v.Verify(token); !errors.Is(err, ErrInvalid) {
			t.Fatalf("unknown kid %d: %v", i, err)
		}
	}
	if n := p.fetches.Load() - before; n > 1 {
		t.Errorf("50 unknown kids caused %d fetches of the key set, want at most 1", n)
	}
}

// TestJWKSDownKeepsCachedKeys: when the provider's JWKS stops answering,
// tokens signed by keys already fetched still verify, and a log line says
// why new keys cannot be fetched.
func TestJWKSDownKeepsCachedKeys(t *testing.T) {
	p := newProvider(t)
	var logs syncBuffer
	ks, err := NewKeySet(t.Context(), KeySetOptions{URL: p.srv.URL, Client: p.srv.Client(),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), UnknownKIDEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	v := New(Options{Keys: ks})
	token := signed(t, jwt.SigningMethodRS256, "rsa-1", p.rsa, good(nil))
	if _, err := v.Verify(token); err != nil {
		t.Fatal(err)
	}
	p.down.Store(true)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown kid makes the key set fetch again, and fail.
	if _, err := v.Verify(signed(t, jwt.SigningMethodRS256, "rsa-new", other, good(nil))); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown kid while down: %v", err)
	}
	if _, err := v.Verify(token); err != nil {
		t.Errorf("cached key stopped working while the provider is down: %v", err)
	}
	if !strings.Contains(logs.String(), "cannot fetch the identity provider's signing keys") {
		t.Errorf("no log line about the failed fetch; logs:\n%s", logs.String())
	}
}

func TestRolesClaim(t *testing.T) {
	p := newProvider(t)
	ks := p.keySet(t, slog.New(slog.DiscardHandler))
	tests := []struct {
		claim  string
		claims jwt.MapClaims
		want   []string
		ok     bool
	}{
		{"groups", jwt.MapClaims{"groups": []string{"staff", "admin"}}, []string{"staff", "admin"}, true},
		{"realm_access.roles", jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"chat_admin"}}}, []string{"chat_admin"}, true},
		{"realm_access.roles", jwt.MapClaims{}, nil, true},
		{"realm_access.roles", jwt.MapClaims{"realm_access": "x"}, nil, false},
		{"groups", jwt.MapClaims{"groups": 5}, nil, false},
	}
	for _, tt := range tests {
		v := New(Options{Keys: ks, RolesClaim: tt.claim})
		extra := good(tt.claims)
		delete(extra, "roles")
		c, err := v.Verify(signed(t, jwt.SigningMethodRS256, "rsa-1", p.rsa, extra))
		if (err == nil) != tt.ok {
			t.Errorf("%s %v: err = %v, want ok=%v", tt.claim, tt.claims, err, tt.ok)
			continue
		}
		if err == nil && strings.Join(c.Roles, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s %v: roles = %q, want %q", tt.claim, tt.claims, c.Roles, tt.want)
		}
	}
}

func TestConsoleTokens(t *testing.T) {
	consoleKey := []byte("console-key-0123456789abcdefghijklmnopqrstuvw")
	v := New(Options{Secret: []byte(testSecret), ConsoleKey: consoleKey, Issuer: testIssuer})
	tok, err := MintConsole(consoleKey, ConsoleToken{UserID: "staff-1", Name: "Sam", Email: "sam@example.test", Admin: true, SessionID: "s1", TTL: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("console token: %v", err)
	}
	if c.UserID != "staff-1" || c.Name != "Sam" || c.Email != "sam@example.test" || !c.Admin() || c.SessionID != "s1" {
		t.Errorf("claims = %+v", c)
	}
	exp := time.Now().Add(time.Hour).Unix()
	forged := func(key []byte, claims jwt.MapClaims) string {
		return signed(t, jwt.SigningMethodHS256, consoleKeyID, key, claims)
	}
	for name, token := range map[string]string{
		"console kid signed with JWT_SECRET": forged([]byte(testSecret), jwt.MapClaims{"sub": "x", "exp": exp, "iss": consoleIssuer, "aud": consoleAudience, "sid": "s", "roles": "admin"}),
		"console key without console kid":    signed(t, jwt.SigningMethodHS256, "", consoleKey, jwt.MapClaims{"sub": "x", "exp": exp, "iss": testIssuer, "roles": "admin"}),
		"console token without session":      forged(consoleKey, jwt.MapClaims{"sub": "x", "exp": exp, "iss": consoleIssuer, "aud": consoleAudience}),
		"console token for another audience": forged(consoleKey, jwt.MapClaims{"sub": "x", "exp": exp, "iss": consoleIssuer, "aud": "other", "sid": "s"}),
	} {
		if _, err := v.Verify(token); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := New(Options{Secret: []byte(testSecret)}).Verify(tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("console token accepted by a verifier without the console key: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwtSegment encodes claims as a token's payload segment.
func jwtSegment(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SigningString()
	if err != nil {
		t.Fatal(err)
	}
	_, payload, _ := strings.Cut(s, ".")
	return payload
}

// syncBuffer is a bytes.Buffer safe for the key set's refresh goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

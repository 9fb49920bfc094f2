package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// TestJWKSTokensOnWebSocketAndREST: user tokens signed by the identity
// provider's keys (fetched from its JWKS over loopback) open the WebSocket
// and call REST; the forgeries are refused on both.
func TestJWKSTokensOnWebSocketAndREST(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "idp-1"}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	if err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(idp.Close)
	const iss, aud = "https://idp.example.test", "chatbox"
	in := start(t, testEnv(t.TempDir(), "http://127.0.0.1:1/v1", map[string]string{
		"JWT_JWKS_URL": idp.URL, "JWT_ISSUER": iss, "JWT_AUDIENCE": aud,
	}))

	now := time.Now()
	claims := func(change jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "idp-user", "iss": iss, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range change {
			c[k] = v
		}
		return c
	}
	sign := func(method jwt.SigningMethod, signer any, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = "idp-1"
		s, err := tok.SignedString(signer)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	valid := sign(jwt.SigningMethodES256, key, claims(nil))

	c := in.dialToken(valid)
	c.send(map[string]any{"type": "ping"})
	if f := c.read(); f.str("type") != "pong" {
		t.Fatalf("after ping: %v", f)
	}
	if code := restStatus(t, in.baseURL+"/sessions", valid); code != http.StatusOK {
		t.Fatalf("REST with a JWKS token: %d", code)
	}

	for name, tok := range map[string]string{
		"wrong audience":  sign(jwt.SigningMethodES256, key, claims(jwt.MapClaims{"aud": "another-app"})),
		"wrong issuer":    sign(jwt.SigningMethodES256, key, claims(jwt.MapClaims{"iss": "https://evil.example.test"})),
		"issued ahead":    sign(jwt.SigningMethodES256, key, claims(jwt.MapClaims{"iat": now.AddDate(1, 0, 0).Unix()})),
		"HS256 with key":  sign(jwt.SigningMethodHS256, der, claims(nil)),
		"alg none":        enc.EncodeToString([]byte(`{"alg":"none","kid":"idp-1"}`)) + "." + enc.EncodeToString(mustMarshal(t, claims(nil))) + ".",
		"tampered claims": tamper(t, valid, claims(jwt.MapClaims{"sub": "victim"})),
	} {
		if code := restStatus(t, in.baseURL+"/sessions", tok); code != http.StatusUnauthorized {
			t.Errorf("%s: REST status %d, want 401", name, code)
		}
		if _, resp, err := in.tryDial(tok, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: WebSocket upgrade not refused with 401 (err %v)", name, err)
		}
	}
}

func restStatus(t *testing.T, url, tok string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tamper swaps the payload of a signed token for claims.
func tamper(t *testing.T, token string, claims jwt.MapClaims) string {
	t.Helper()
	parts := strings.Split(token, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(mustMarshal(t, claims))
	return strings.Join(parts, ".")
}

package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// asymmetricAlgs are the algorithms accepted with keys from a JWKS.
var asymmetricAlgs = []string{"RS256", "PS256", "ES256", "EdDSA"}

// minRSABits refuses toy RSA keys a provider should never publish.
const minRSABits = 2048

// KeySetOptions configure NewKeySet.
type KeySetOptions struct {
	// URL of the provider's JWKS (JWT_JWKS_URL).
	URL string
	// Client fetches the key set; nil: a client with a 10 s timeout.
	Client *http.Client
	// Refresh is how often the whole set is fetched again; 0: one hour.
	Refresh time.Duration
	// UnknownKIDEvery is the least time between two fetches caused by
	// tokens naming a key id the set does not hold (a key rotation, or an
	// attacker's random kids): such fetches are rate-limited so a flood
	// of them cannot make Chatbox hammer the provider; 0: 30 s.
	UnknownKIDEvery time.Duration
	Logger          *slog.Logger
}

// KeySet holds the public keys of the operator's identity provider,
// fetched from its JWKS URL, cached, refreshed periodically and on an
// unknown kid (rate-limited). When the provider is unreachable the cached
// keys keep verifying tokens and each failed fetch is logged.
type KeySet struct {
	kf keyfunc.Keyfunc
}

// NewKeySet starts fetching the key set at o.URL; the refresh stops when
// ctx ends. It does not fail when the provider is down at start: tokens
// are then refused until a fetch succeeds, and the failure is logged.
func NewKeySet(ctx context.Context, o KeySetOptions) (*KeySet, error) {
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	refresh := o.Refresh
	if refresh <= 0 {
		refresh = time.Hour
	}
	every := o.UnknownKIDEvery
	if every <= 0 {
		every = 30 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	noErrorAtStart := true
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{o.URL}, keyfunc.Override{
		Client:                    client,
		HTTPTimeout:               client.Timeout,
		NoErrorReturnFirstHTTPReq: &noErrorAtStart,
		RefreshInterval:           refresh,
		RefreshUnknownKID:         rate.NewLimiter(rate.Every(every), 1),
		// A request waits for the limiter only when its next fetch is
		// due within this bound (the limiter then fails at once): a token
		// with an unknown kid is refused without delay when a fetch
		// happened recently. Far below UnknownKIDEvery on purpose.
		RateLimitWaitMax: 250 * time.Millisecond,
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				log.Warn("cannot fetch the identity provider's signing keys (JWT_JWKS_URL); keys already fetched keep working",
					"err", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return &KeySet{kf: kf}, nil
}

// key returns the public key for t, refusing a key whose type does not
// match the token's algorithm: an RSA key only for RS256 and PS256, a P-256
// key only for ES256, an Ed25519 key only for EdDSA.
func (k *KeySet) key(t *jwt.Token) (any, error) {
	if _, ok := t.Header["kid"].(string); !ok {
		return nil, errors.New("token names no key id (kid)")
	}
	key, err := k.kf.Keyfunc(t)
	if err != nil {
		return nil, errors.New("no such key in the key set")
	}
	ok := false
	switch t.Method.Alg() {
	case "RS256", "PS256":
		pk, isRSA := key.(*rsa.PublicKey)
		ok = isRSA && pk.N.BitLen() >= minRSABits
	case "ES256":
		pk, isEC := key.(*ecdsa.PublicKey)
		ok = isEC && pk.Curve == elliptic.P256()
	case "EdDSA":
		_, ok = key.(ed25519.PublicKey)
	}
	if !ok {
		return nil, errors.New("key type does not match the algorithm")
	}
	return key, nil
}

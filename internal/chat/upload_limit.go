package chat

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrRateLimited marks a request refused because the user made too many
// of them; errors.As a *RateLimitedError tells when to retry.
var ErrRateLimited = errors.New("rate limited")

// RateLimitedError is a refusal by a rate limit.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited: retry after %s", e.RetryAfter.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// rateLimiter is a token bucket per user, on this instance: each user may
// take burst at once, refilled at perMinute. Buckets of users who have
// been idle long enough to be full again are dropped, so memory follows
// the number of active users.
type rateLimiter struct {
	mu      sync.Mutex
	every   time.Duration // one token per every
	burst   float64
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute, burst int) *rateLimiter {
	return &rateLimiter{
		every: time.Minute / time.Duration(perMinute), burst: float64(burst),
		buckets: make(map[string]*bucket),
	}
}

// allow takes a token of user's bucket, or says how long until one is due.
func (l *rateLimiter) allow(user string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[user]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[user] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+float64(elapsed)/float64(l.every))
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

// sweep drops full buckets, at most once per refill period of a bucket.
func (l *rateLimiter) sweep(now time.Time) {
	full := time.Duration(l.burst * float64(l.every))
	if now.Sub(l.swept) < full {
		return
	}
	l.swept = now
	for user, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, user)
		}
	}
}

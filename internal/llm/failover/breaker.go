package failover

import (
	"fmt"
	"sync"
	"time"
)

// State is the state of a provider's circuit breaker.
type State int

// Breaker states.
const (
	// Closed: the provider is healthy and gets every request.
	Closed State = iota
	// Open: the provider failed repeatedly, or asked to be left alone
	// (Retry-After); it is skipped, at no latency, until RetryAt.
	Open
	// HalfOpen: the wait is over; the next request probes the provider,
	// and its outcome closes or re-opens the breaker.
	HalfOpen
)

// String names the state as logs and readiness show it.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is one provider's breaker as seen at one moment.
type Status struct {
	ID       string // configured provider id
	State    State
	Failures int       // consecutive failures
	RetryAt  time.Time // Open: when the next probe is allowed
	// LastError is the last failure's text, for operators; "" once the
	// provider answered again.
	LastError string
}

// Available reports whether a request would be sent to the provider:
// false only while its breaker is Open.
func (s Status) Available() bool { return s.State != Open }

// breaker is one provider's circuit breaker. Consecutive failures up to
// threshold keep it closed; the threshold-th opens it for coolDown. A
// Retry-After opens it at once for that long. When the wait is over, one
// request at a time probes the provider: success closes the breaker,
// failure opens it again.
type breaker struct {
	threshold int
	coolDown  time.Duration

	mu       sync.Mutex
	state    State
	failures int
	until    time.Time // end of the Open wait
	probing  bool      // a HalfOpen probe is in flight
	lastErr  string
}

// acquire reports whether a request may go to the provider now, and
// whether it is the half-open probe (to be settled by succeed, fail or
// release).
func (b *breaker) acquire(now time.Time) (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settle(now)
	switch b.state {
	case Closed:
		return true, false
	case HalfOpen:
		if b.probing {
			return false, false
		}
		b.probing = true
		return true, true
	}
	return false, false
}

// succeed records an answer; it reports whether the breaker was not
// closed before (the provider recovered).
func (b *breaker) succeed(probe bool) (recovered bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	recovered = b.state != Closed
	b.state, b.failures, b.lastErr = Closed, 0, ""
	if probe {
		b.probing = false
	}
	return recovered
}

// fail records a failure of the provider; it reports whether the breaker
// opened (or stays open) and until when.
func (b *breaker) fail(now time.Time, probe bool, retryAfter time.Duration, reason string) (opened bool, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	b.failures++
	b.lastErr = reason
	var wait time.Duration
	if probe || b.state != Closed || b.failures >= b.threshold {
		wait = b.coolDown
	}
	wait = max(wait, retryAfter)
	if wait <= 0 {
		return false, time.Time{}
	}
	b.state = Open
	if u := now.Add(wait); u.After(b.until) {
		b.until = u
	}
	return true, b.until
}

// release ends a request that says nothing about the provider's health
// (cancelled by the caller, rejected as invalid): a probe slot is freed
// for the next request.
func (b *breaker) release(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// status returns the breaker's state at now.
func (b *breaker) status(id string, now time.Time) Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settle(now)
	s := Status{ID: id, State: b.state, Failures: b.failures, LastError: b.lastErr}
	if b.state == Open {
		s.RetryAt = b.until
	}
	return s
}

// settle moves an Open breaker whose wait is over to HalfOpen.
func (b *breaker) settle(now time.Time) {
	if b.state == Open && !now.Before(b.until) {
		b.state = HalfOpen
	}
}

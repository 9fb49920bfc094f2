package ws

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limits enforces the per-user connection cap and message rate on this
// instance. With ClientIP affinity a user's connections normally share an
// instance, so a per-instance limit is the effective one.
type limits struct {
	maxConns int
	perMin   int
	burst    int

	mu       sync.Mutex
	users    map[string]*userLimits
	acquires int
}

type userLimits struct {
	conns   int
	limiter *rate.Limiter
}

func newLimits(maxConns, perMinute, burst int) *limits {
	return &limits{maxConns: maxConns, perMin: perMinute, burst: burst, users: make(map[string]*userLimits)}
}

// acquireConn takes a connection slot; the caller must call releaseConn
// exactly once if it returns true, including when the upgrade then fails.
func (l *limits) acquireConn(userID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acquires++; l.acquires%256 == 0 {
		l.sweep()
	}
	u := l.users[userID]
	if u == nil {
		u = &userLimits{limiter: rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.burst)}
		l.users[userID] = u
	}
	if u.conns >= l.maxConns {
		return false
	}
	u.conns++
	return true
}

func (l *limits) releaseConn(userID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[userID]
	if u == nil {
		return
	}
	u.conns--
	// Forget the user only once their bucket has refilled, so reconnecting
	// is no way around the message rate.
	if u.conns <= 0 && u.limiter.Tokens() >= float64(l.burst) {
		delete(l.users, userID)
	}
}

// allowMessage spends one message of the user's budget, or says how long to
// wait before the next one will be accepted.
func (l *limits) allowMessage(userID string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	u := l.users[userID]
	l.mu.Unlock()
	if u == nil {
		return true, 0
	}
	r := u.limiter.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets disconnected users whose buckets have refilled since; it
// runs now and then from acquireConn so the map cannot grow without bound.
func (l *limits) sweep() {
	for id, u := range l.users {
		if u.conns <= 0 && u.limiter.Tokens() >= float64(l.burst) {
			delete(l.users, id)
		}
	}
}

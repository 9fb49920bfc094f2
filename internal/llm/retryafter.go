package llm

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps the wait a provider may ask for. A broken proxy's
// "Retry-After: 86400" must not take a provider out of rotation for a day;
// the circuit breaker's probes find out sooner whether it is back.
const MaxRetryAfter = 10 * time.Minute

// RetryAfter returns how long h asks the client to wait before trying
// again: retry-after-ms (milliseconds, sent by OpenAI and Anthropic) if
// present, else Retry-After as delay-seconds or an HTTP date relative to
// now. It returns 0 when there is no usable value, and never more than
// MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if ms, ok := positive(h.Get("Retry-After-Ms")); ok {
		return capped(ms / 1000)
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if secs, ok := positive(v); ok {
		return capped(secs)
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}

// positive parses a finite number greater than zero.
func positive(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, false
	}
	return f, true
}

// capped converts seconds to a duration no longer than MaxRetryAfter,
// comparing before converting so huge values cannot overflow.
func capped(secs float64) time.Duration {
	if secs >= MaxRetryAfter.Seconds() {
		return MaxRetryAfter
	}
	return time.Duration(secs * float64(time.Second))
}

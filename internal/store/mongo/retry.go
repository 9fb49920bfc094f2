package mongo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// retryPolicy bounds how often and how long one operation is retried after
// a transient failure.
type retryPolicy struct {
	attempts  int           // tries in all, the first included
	baseDelay time.Duration // wait after the first failure; doubles after each
	maxDelay  time.Duration
}

func defaultRetryPolicy() retryPolicy {
	return retryPolicy{attempts: 4, baseDelay: 50 * time.Millisecond, maxDelay: time.Second}
}

// do runs op until it succeeds, fails with an error that is not transient,
// runs out of attempts, or ctx ends. Each operation passed to do must be
// safe to repeat: a write whose reply was lost may have been applied, and
// every caller recognises its own earlier write when it finds it (see
// AppendMessage, StartSession).
func (p retryPolicy) do(ctx context.Context, op func(ctx context.Context) error) error {
	var err error
	for attempt := range p.attempts {
		if err = op(ctx); err == nil || !transient(err) {
			return contextFirst(ctx, err)
		}
		if attempt == p.attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return contextFirst(ctx, err)
		case <-time.After(p.delay(attempt)):
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", p.attempts, err)
}

// delay is the wait after failed attempt n (0-based): exponential, capped,
// with jitter so that instances failing together do not retry in lockstep.
func (p retryPolicy) delay(n int) time.Duration {
	d := min(p.baseDelay<<n, p.maxDelay)
	return d/2 + rand.N(d/2+1)
}

// retryableCodes are the server error codes that mean "this server cannot
// take the operation right now, another (or this one, shortly) can": the
// primary stepped down or is shutting down, or the node is not primary.
func retryableCodes() []int {
	return []int{
		6,     // HostUnreachable
		7,     // HostNotFound
		89,    // NetworkTimeout
		91,    // ShutdownInProgress
		189,   // PrimarySteppedDown
		262,   // ExceededTimeLimit
		9001,  // SocketException
		10107, // NotWritablePrimary
		11600, // InterruptedAtShutdown
		11602, // InterruptedDueToReplStateChange
		13435, // NotPrimaryNoSecondaryOk
		13436, // NotPrimaryOrSecondary
	}
}

// transient reports whether err is worth retrying: the network failed, no
// server could be selected in time, or the server said to retry.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, mongo.ErrClientDisconnected) {
		return false
	}
	if mongo.IsNetworkError(err) {
		return true
	}
	var sel topology.ServerSelectionError
	if errors.As(err, &sel) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		if se.HasErrorLabel("RetryableWriteError") || se.HasErrorLabel("NetworkError") {
			return true
		}
		for _, code := range retryableCodes() {
			if se.HasErrorCode(code) {
				return true
			}
		}
	}
	return false
}

// contextFirst makes a failure caused by the caller's context match that
// context's error (context.Canceled, context.DeadlineExceeded) with
// errors.Is, whatever the driver wrapped it in, so callers can tell a
// departed client from a storage failure.
func contextFirst(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

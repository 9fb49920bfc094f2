package mongo

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"network", mongo.CommandError{Labels: []string{"NetworkError"}}, true},
		{"server selection", fmt.Errorf("find: %w", topology.ServerSelectionError{Wrapped: context.DeadlineExceeded}), true},
		{"primary stepped down", mongo.CommandError{Code: 189}, true},
		{"not writable primary", mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 10107}}}, true},
		{"retryable write label", mongo.CommandError{Code: 1, Labels: []string{"RetryableWriteError"}}, true},
		{"duplicate key", mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000}}}, false},
		{"bad value", mongo.CommandError{Code: 2}, false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"closed client", mongo.ErrClientDisconnected, false},
		{"no documents", mongo.ErrNoDocuments, false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("%s: transient = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	p := retryPolicy{attempts: 3, baseDelay: time.Millisecond, maxDelay: 2 * time.Millisecond}
	flaky := mongo.CommandError{Labels: []string{"NetworkError"}}

	calls := 0
	err := p.do(t.Context(), func(context.Context) error {
		if calls++; calls < 3 {
			return flaky
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("transient twice, then success: %v after %d calls, want success after 3", err, calls)
	}

	calls = 0
	err = p.do(t.Context(), func(context.Context) error { calls++; return flaky })
	var ce mongo.CommandError
	if !errors.As(err, &ce) || calls != 3 {
		t.Errorf("always transient: %v after %d calls, want the error after 3", err, calls)
	}

	calls = 0
	permanent := errors.New("permanent")
	err = p.do(t.Context(), func(context.Context) error { calls++; return permanent })
	if !errors.Is(err, permanent) || calls != 1 {
		t.Errorf("permanent: %v after %d calls, want it at once", err, calls)
	}

	ctx, cancel := context.WithCancel(t.Context())
	calls = 0
	err = p.do(ctx, func(context.Context) error { calls++; cancel(); return flaky })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancelled while failing: %v after %d calls, want context.Canceled after 1", err, calls)
	}
}

func TestRetryDelayBounded(t *testing.T) {
	p := defaultRetryPolicy()
	for n := range 10 {
		d := p.delay(n)
		if d <= 0 || d > p.maxDelay {
			t.Errorf("delay(%d) = %s, want in (0, %s]", n, d, p.maxDelay)
		}
	}
}

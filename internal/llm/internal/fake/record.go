package fake

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrTimeout is returned by the Wait methods when their safety net fires.
var ErrTimeout = errors.New("timed out")

// Record keeps the requests a fake received and how many replies their
// clients abandoned, and lets tests wait for either. The zero value is
// ready to use.
type Record[R any] struct {
	mu      sync.Mutex
	reqs    []R
	aborted int
	changed chan struct{} // closed and replaced on every change
}

// Add records a request and returns how many there are now.
func (r *Record[R]) Add(req R) int {
	var n int
	r.update(func() {
		r.reqs = append(r.reqs, req)
		n = len(r.reqs)
	})
	return n
}

// Abort counts a reply cut short by its client.
func (r *Record[R]) Abort() { r.update(func() { r.aborted++ }) }

// Requests returns a copy of the requests so far, in order of arrival.
func (r *Record[R]) Requests() []R {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]R(nil), r.reqs...)
}

// Aborted returns how many replies their clients abandoned.
func (r *Record[R]) Aborted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aborted
}

// WaitRequests waits until at least n requests arrived and returns them.
// The timeout is a safety net against hung tests, not an assertion.
func (r *Record[R]) WaitRequests(n int, timeout time.Duration) ([]R, error) {
	if err := r.wait(timeout, func() bool { return len(r.reqs) >= n }); err != nil {
		return r.Requests(), fmt.Errorf("waiting for %d requests: %w", n, err)
	}
	return r.Requests(), nil
}

// WaitAborted waits until at least n replies were abandoned.
func (r *Record[R]) WaitAborted(n int, timeout time.Duration) error {
	if err := r.wait(timeout, func() bool { return r.aborted >= n }); err != nil {
		return fmt.Errorf("waiting for %d aborted replies: %w", n, err)
	}
	return nil
}

func (r *Record[R]) wait(timeout time.Duration, cond func() bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ok, changed := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return ErrTimeout
		}
	}
}

func (r *Record[R]) update(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
}

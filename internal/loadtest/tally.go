package loadtest

import (
	"maps"
	"sync"
	"sync/atomic"
)

// tally is what all clients of one scenario run observed. Clients update it
// concurrently; it is read once they are done.
type tally struct {
	connect      Histogram // dial to connection_status
	resume       Histogram // dial to resumed, in a storm
	firstToken   Histogram // user_message sent to first ai_response delta
	tokenLatency Histogram // token emission (stamp) to receipt

	tokens     atomic.Int64 // stamped tokens received live
	merged     atomic.Int64 // deltas carrying more than one token (catch-up)
	persisted  atomic.Int64 // acknowledgements and stored replies received
	replies    atomic.Int64 // complete replies received
	lost       atomic.Int64 // seqs skipped over
	duplicated atomic.Int64 // seqs received again
	corrupt    atomic.Int64 // replies whose stored text differs from what streamed

	mu     sync.Mutex
	errors map[string]int
}

func newTally() *tally { return &tally{errors: make(map[string]int)} }

// fail counts one error under a bounded label such as "frame:rate_limited",
// "dial:http_429", "close:1013" or "harness:timeout".
func (t *tally) fail(label string) {
	t.mu.Lock()
	t.errors[label]++
	t.mu.Unlock()
}

// errorCounts returns a copy of the error counts.
func (t *tally) errorCounts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.errors)
}

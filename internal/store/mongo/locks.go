package mongo

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// sessionLocks is a set of per-session locks whose waits honour a context.
// An entry lives only while someone holds or waits for it.
type sessionLocks struct {
	mu    sync.Mutex
	locks map[string]*sessionLock
}

type sessionLock struct {
	held  chan struct{} // one slot: full while held
	users int           // holders and waiters; guarded by sessionLocks.mu
}

func newSessionLocks() *sessionLocks {
	return &sessionLocks{locks: make(map[string]*sessionLock)}
}

// lock takes the lock of session id, or fails with ctx's error. The
// returned function releases it.
func (l *sessionLocks) lock(ctx context.Context, id string) (unlock func(), err error) {
	l.mu.Lock()
	e := l.locks[id]
	if e == nil {
		e = &sessionLock{held: make(chan struct{}, 1)}
		l.locks[id] = e
	}
	e.users++
	l.mu.Unlock()

	select {
	case e.held <- struct{}{}:
		return func() {
			<-e.held
			l.leave(id, e)
		}, nil
	case <-ctx.Done():
		l.leave(id, e)
		return nil, ctx.Err()
	}
}

func (l *sessionLocks) leave(id string, e *sessionLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.users--; e.users == 0 {
		delete(l.locks, id)
	}
}

// maxCachedHeads bounds the head cache; beyond it the cache starts over.
// Heads are only hints, so forgetting them costs one query each.
const maxCachedHeads = 10_000

// head is what an append needs of a session's newest message.
type head struct {
	seq       int64
	updatedAt time.Time // the message's SessionUpdatedAt
}

// headCache remembers the newest message this Store saw per session. A
// head may lag behind the database (other processes append too), never run
// ahead of it: messages are never deleted.
type headCache struct {
	mu    sync.Mutex
	max   int
	heads map[string]head
}

func newHeadCache(max int) *headCache {
	return &headCache{max: max, heads: make(map[string]head)}
}

func (c *headCache) get(id string) (head, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.heads[id]
	return h, ok
}

// put records h unless a newer head is known already.
func (c *headCache) put(id string, h head) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.heads[id]; ok && old.seq >= h.seq {
		return
	}
	if len(c.heads) >= c.max {
		clear(c.heads)
	}
	c.heads[id] = h
}

// indexGate remembers whether the indexes that writes rely on are known to
// exist. Its lock is a channel so waiting for it honours a context.
type indexGate struct {
	lock chan struct{}
	done atomic.Bool // set once, under lock; read without it
}

func newIndexGate() *indexGate { return &indexGate{lock: make(chan struct{}, 1)} }

// pass runs ensure until it has succeeded once; later calls return at once.
func (g *indexGate) pass(ctx context.Context, ensure func(context.Context) error) error {
	if g.done.Load() {
		return nil
	}
	select {
	case g.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.lock }()
	if g.done.Load() {
		return nil // passed while this call waited for the lock
	}
	if err := ensure(ctx); err != nil {
		return err
	}
	g.done.Store(true)
	return nil
}

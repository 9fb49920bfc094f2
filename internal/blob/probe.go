package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Default cache durations of a Prober.
const (
	// DefaultOKFor is how long a successful probe answers readiness: a
	// kubelet probing every 10 s costs the bucket two small writes a minute
	// per pod.
	DefaultOKFor = 30 * time.Second
	// DefaultFailFor is how long a failed probe answers: short, so a
	// repaired bucket is noticed quickly.
	DefaultFailFor = 5 * time.Second
)

// ProbePrefix is the key prefix of probe objects. Each probe deletes its
// own; a probe cut off between write and delete can leave one behind, so
// lifecycle rules may expire this prefix after a day.
const ProbePrefix = "readiness/"

// ErrUnusable is what Check returns when the store cannot keep uploads:
// a short sentence fit for the readiness answer. The cause is logged.
var ErrUnusable = errors.New("uploads cannot be stored (the blob store failed a write, read and delete check)")

// ProbeOptions tune a Prober. Zero fields take the defaults.
type ProbeOptions struct {
	OKFor   time.Duration    // reuse a success this long; default DefaultOKFor
	FailFor time.Duration    // reuse a failure this long; default DefaultFailFor
	Logger  *slog.Logger     // state changes and their causes; nil discards
	Now     func() time.Time // clock; nil is time.Now (tests set it)
	Backend string           // named in logs, e.g. "s3" or "local"
}

// Prober checks that a chat.BlobStore can really keep uploads: it writes a
// small object, reads it back, compares and deletes it. A reachable bucket
// with wrong credentials, a missing bucket, a read-only directory or a
// placeholder setting all fail it, where a ping would not. Results are
// cached (OKFor, FailFor) so readiness stays cheap, and probes never run
// concurrently: callers arriving during a probe wait for its result. Safe
// for concurrent use.
type Prober struct {
	store chat.BlobStore
	opts  ProbeOptions
	log   *slog.Logger

	mu        sync.Mutex
	checkedAt time.Time
	last      error // nil or ErrUnusable
	probed    bool
}

// NewProber returns a Prober of store.
func NewProber(store chat.BlobStore, opts ProbeOptions) *Prober {
	if opts.OKFor <= 0 {
		opts.OKFor = DefaultOKFor
	}
	if opts.FailFor <= 0 {
		opts.FailFor = DefaultFailFor
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Prober{store: store, opts: opts, log: log}
}

// Check returns nil when the store passed its last probe, or ErrUnusable;
// it probes again when the cached result is older than OKFor (after a
// success) or FailFor (after a failure).
func (p *Prober) Check(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.opts.Now()
	if p.probed {
		keep := p.opts.OKFor
		if p.last != nil {
			keep = p.opts.FailFor
		}
		if now.Sub(p.checkedAt) < keep {
			return p.last
		}
	}
	cause := p.probe(ctx)
	p.checkedAt = p.opts.Now()
	was := p.last
	p.probed = true
	p.last = nil
	if cause != nil {
		p.last = ErrUnusable
	}
	switch {
	case cause != nil && was == nil:
		p.log.Error("upload storage UNUSABLE: uploads fail and readiness check \"blob\" fails until it works",
			"backend", p.opts.Backend, "err", cause)
	case cause == nil && was != nil:
		p.log.Info("upload storage usable again", "backend", p.opts.Backend)
	}
	return p.last
}

// Probe runs one probe now, bypassing the cache, and returns its cause of
// failure with full detail, for the start-up log. The result is cached as
// Check's would be.
func (p *Prober) Probe(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cause := p.probe(ctx)
	p.checkedAt, p.probed, p.last = p.opts.Now(), true, nil
	if cause != nil {
		p.last = ErrUnusable
	}
	return cause
}

// probe writes, reads back and deletes one small random object.
func (p *Prober) probe(ctx context.Context) error {
	key := ProbePrefix + strings.ToLower(rand.Text())
	want := []byte("chatbox readiness probe " + rand.Text())
	if _, err := p.store.Put(ctx, key, bytes.NewReader(want), int64(len(want)), "text/plain"); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got, readErr := p.read(ctx, key)
	// Deleted on a context of its own: the caller's may be what failed.
	delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	delErr := p.store.Delete(delCtx, key)
	switch {
	case readErr != nil:
		return fmt.Errorf("read back: %w", readErr)
	case !bytes.Equal(got, want):
		return fmt.Errorf("read back %d bytes that differ from the %d written", len(got), len(want))
	case delErr != nil:
		return fmt.Errorf("delete: %w", delErr)
	}
	return nil
}

func (p *Prober) read(ctx context.Context, key string) ([]byte, error) {
	r, err := p.store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	return io.ReadAll(io.LimitReader(r, 1<<10))
}

package server

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/bus"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/crypto"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
)

// stalledProvider answers only when its gate opens, like an instance that
// froze mid-reply; it reports each call on started.
type stalledProvider struct {
	started chan struct{}
	gate    chan struct{}
}

func (p *stalledProvider) Name() string { return "stalled" }

func (p *stalledProvider) Stream(ctx context.Context, _ chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	p.started <- struct{}{}
	if err := emit("partial "); err != nil {
		return chat.Completion{}, err
	}
	<-p.gate // deaf to ctx, as a frozen process is
	return chat.Completion{Text: "partial answer from the stalled instance"}, nil
}

type steadyProvider struct{ calls atomic.Int32 }

func (p *steadyProvider) Name() string { return "steady" }

func (p *steadyProvider) Stream(_ context.Context, _ chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	p.calls.Add(1)
	_ = emit("answer from the healthy instance")
	return chat.Completion{Text: "answer from the healthy instance"}, nil
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestAQuestionLeftByAStalledInstanceIsAnsweredOnce: instance A takes a
// question and stalls mid-reply; its clock is frozen, so its lease stops
// moving, as a dead instance's would. Once the lease has expired, B's
// recovery pass answers the question. When A wakes up, its lease is gone
// and it stores nothing: the question is answered exactly once.
func TestAQuestionLeftByAStalledInstanceIsAnsweredOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "chat.db")
	nats, err := bus.StartEmbedded(bus.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nats.Shutdown)
	keyring, err := crypto.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	const ttl = time.Minute
	t0 := time.Now()
	newService := func(name string, p chat.Provider, now func() time.Time) (*chat.Service, chat.Repository) {
		repo, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = repo.Close() })
		nc, err := nats.Connect(name)
		if err != nil {
			t.Fatal(err)
		}
		b := bus.New(nc, bus.Options{OwnsConn: true})
		t.Cleanup(func() { _ = b.Close() })
		svc, err := chat.NewService(chat.Config{
			Repo: repo, Sealer: keyring, Bus: b, Now: now,
			Models:     []chat.Model{{ID: "m", Name: "Model", Provider: p}},
			ReplyLease: chat.ReplyLeaseConfig{Instance: name, TTL: ttl},
		})
		if err != nil {
			t.Fatal(err)
		}
		return svc, repo
	}
	stalled := &stalledProvider{started: make(chan struct{}, 1), gate: make(chan struct{})}
	frozen := func() time.Time { return t0 }
	a, repo := newService("a", stalled, frozen)
	steady := &steadyProvider{}
	bClock := &clock{now: t0}
	b, _ := newService("b", steady, bClock.Now)

	sent, err := a.Send(ctx, chat.Actor{ID: "gus", Name: "Gus"}, chat.UserMessage{ClientMsgID: "q1", Content: "where is my parcel?"})
	if err != nil {
		t.Fatal(err)
	}
	<-stalled.started
	id := sent.Session.ID

	// Before A's lease expires, B leaves the question alone.
	bClock.set(t0.Add(ttl / 2))
	if n, err := b.RecoverReplies(ctx); err != nil || n != 0 {
		t.Fatalf("recovery while A's lease is live restarted %d sessions (%v), want 0", n, err)
	}
	// After it expired, B answers.
	bClock.set(t0.Add(2 * ttl))
	if n, err := b.RecoverReplies(ctx); err != nil || n != 1 {
		t.Fatalf("recovery after A's lease expired restarted %d sessions (%v), want 1", n, err)
	}
	aiReplies := func() []chat.SealedMessage {
		msgs, err := repo.ListMessages(ctx, id, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ai []chat.SealedMessage
		for _, m := range msgs {
			if m.Sender == chat.SenderAI {
				ai = append(ai, m)
			}
		}
		return ai
	}
	deadline := time.Now().Add(waitLimit)
	for len(aiReplies()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("B never answered the orphaned question")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A wakes up and finds its lease gone: it must not answer again.
	close(stalled.gate)
	drainCtx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	if err := a.Drain(drainCtx); err != nil {
		t.Fatalf("drain A: %v", err)
	}
	ai := aiReplies()
	if len(ai) != 1 || ai[0].ReplyTo != sent.Message.Seq || steady.calls.Load() != 1 {
		t.Fatalf("ai replies %d (reply_to %v), healthy provider called %d times; want one answer to seq %d",
			len(ai), ai, steady.calls.Load(), sent.Message.Seq)
	}
	if owed, err := repo.OrphanedReplies(ctx, t0.Add(time.Hour), t0.Add(time.Hour), 10); err != nil || len(owed) != 0 {
		t.Fatalf("still owed after the answer: %v (%v)", owed, err)
	}
}

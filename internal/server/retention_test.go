package server

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/bus"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/crypto"
	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
)

// cannedProvider answers every question at once with the same text.
type cannedProvider struct{}

func (cannedProvider) Name() string { return "canned" }

func (cannedProvider) Stream(_ context.Context, _ chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	if err := emit("noted"); err != nil {
		return chat.Completion{}, err
	}
	return chat.Completion{Text: "noted"}, nil
}

// settableClock is a clock a test moves by hand.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestRetentionDeletesOnlyExpiredEndedSessions drives the retention sweep
// with a clock: with a two-day retention, a session that ended more than
// two days ago is deleted with its messages and notifications, and counted;
// one that ended a day ago stays, and an active session stays however old.
func TestRetentionDeletesOnlyExpiredEndedSessions(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	nats, err := bus.StartEmbedded(bus.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nats.Shutdown)
	nc, err := nats.Connect("retention")
	if err != nil {
		t.Fatal(err)
	}
	b := bus.New(nc, bus.Options{OwnsConn: true})
	t.Cleanup(func() { _ = b.Close() })
	keyring, err := crypto.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := &settableClock{now: t0}
	svc, err := chat.NewService(chat.Config{
		Repo: store, Sealer: keyring, Bus: b, Now: clock.Now,
		Models: []chat.Model{{ID: "m", Name: "Model", Provider: cannedProvider{}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	notes, err := notify.NewEraser(store.Outbox())
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]int{}
	var mu sync.Mutex
	life, err := chat.NewLifecycle(svc, chat.LifecycleConfig{
		Retention: 48 * time.Hour, Erasers: []chat.Eraser{notes},
		Deleted: func(reason string, n int) { mu.Lock(); deleted[reason] += n; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	user := chat.Actor{ID: "rita", Name: "Rita"}
	startEnded := func(id string) string {
		t.Helper()
		sent, err := svc.Send(ctx, user, chat.UserMessage{ClientMsgID: id, Content: "question " + id})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.EndSession(ctx, user, sent.Session.ID); err != nil {
			t.Fatal(err)
		}
		return sent.Session.ID
	}
	old := startEnded("old")
	alert := notify.Notification{ID: "n1", Key: "k1", Event: notify.HelpRequested, Channel: notify.Log, SessionID: old, Payload: []byte("x")}
	if _, err := store.Outbox().Enqueue(ctx, t0, []notify.Notification{alert}, nil); err != nil {
		t.Fatal(err)
	}
	sent, err := svc.Send(ctx, user, chat.UserMessage{ClientMsgID: "active", Content: "still talking"})
	if err != nil {
		t.Fatal(err)
	}
	active := sent.Session.ID
	clock.set(t0.Add(24 * time.Hour))
	recent := startEnded("recent")

	clock.set(t0.Add(48*time.Hour + time.Second))
	n, err := life.ApplyRetention(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ApplyRetention = %d, %v; want the one session ended over two days ago", n, err)
	}
	if _, err := store.GetSession(ctx, old); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("expired session: %v, want it deleted", err)
	}
	if msgs, _ := store.ListMessages(ctx, old, 0, 100); len(msgs) != 0 {
		t.Errorf("expired session still has %d messages", len(msgs))
	}
	if rows, _ := store.Outbox().List(ctx, 100); len(rows) != 0 {
		t.Errorf("the expired session's notification is still queued: %+v", rows)
	}
	for _, id := range []string{active, recent} {
		if _, err := store.GetSession(ctx, id); err != nil {
			t.Errorf("session %s should stay: %v", id, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if deleted[chat.DeletedByRetention] != 1 || len(deleted) != 1 {
		t.Errorf("deletions counted %v, want retention: 1", deleted)
	}
}

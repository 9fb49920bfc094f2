package bus

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

func TestSessionIDValidation(t *testing.T) {
	valid := []string{"s1", "0b7d4c2e-8a1f-4e0b-9d3a-6f2c1b5e7a90", "a_b-c", "ünïcode", "a:b", strings.Repeat("x", maxTokenLen)}
	for _, id := range valid {
		if err := validSessionID(id); err != nil {
			t.Errorf("validSessionID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range invalidSessionIDs() {
		err := validSessionID(id)
		if !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("validSessionID(%q) = %v, want an error wrapping chat.ErrInvalid", id, err)
		}
	}
}

func TestInvalidEventsWrapErrInvalid(t *testing.T) {
	b := newBus(t, connectTo(t, startServer(t, EmbeddedOptions{}), "c"), Options{})
	ctx := context.Background()
	if err := b.Publish(ctx, delta("a.b", "a", 0)); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Publish to bad session: err = %v, want chat.ErrInvalid", err)
	}
	if err := b.Publish(ctx, chat.Event{SessionID: "s1"}); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Publish without type: err = %v, want chat.ErrInvalid", err)
	}
	if _, err := b.Subscribe("a*", func(chat.Event) {}); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Subscribe to bad session: err = %v, want chat.ErrInvalid", err)
	}
	if _, err := b.Subscribe("s1", nil); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Subscribe with nil handler: err = %v, want chat.ErrInvalid", err)
	}
}

func TestSubjectPrefix(t *testing.T) {
	nc := connectTo(t, startServer(t, EmbeddedOptions{}), "c")
	for _, prefix := range []string{"", "chatbox", "acme.chat-prod", "tenant_1.chatbox"} {
		b := newBus(t, nc, Options{SubjectPrefix: prefix})
		if err := b.Ping(); err != nil {
			t.Errorf("prefix %q: Ping = %v", prefix, err)
		}
		want := prefix
		if want == "" {
			want = DefaultSubjectPrefix
		}
		if subj, err := b.subject("s1"); err != nil || subj != want+".session.s1" {
			t.Errorf("prefix %q: subject = %q, %v", prefix, subj, err)
		}
	}
	// A bad prefix cannot fail New, so it fails everything else, readiness
	// included.
	for _, prefix := range []string{".", "a..b", "a.", "chat.*", "chat.>", "chat box"} {
		b := newBus(t, nc, Options{SubjectPrefix: prefix})
		if err := b.Ping(); err == nil {
			t.Errorf("prefix %q: Ping succeeded", prefix)
		}
		if err := b.Publish(context.Background(), delta("s1", "a", 0)); err == nil {
			t.Errorf("prefix %q: Publish succeeded", prefix)
		}
		if _, err := b.Subscribe("s1", func(chat.Event) {}); err == nil {
			t.Errorf("prefix %q: Subscribe succeeded", prefix)
		}
	}
}

func TestNilConnFailsCleanly(t *testing.T) {
	b := New(nil, Options{})
	if err := b.Ping(); err == nil {
		t.Error("Ping on a Bus without connection succeeded")
	}
	if err := b.Publish(context.Background(), delta("s1", "a", 0)); err == nil {
		t.Error("Publish on a Bus without connection succeeded")
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

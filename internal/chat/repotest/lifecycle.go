package repotest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testPing: every open handle reports the database reachable.
func testPing(t *testing.T, h harness) {
	for i, r := range h.handles(t, 2) {
		if err := r.Ping(t.Context()); err != nil {
			t.Errorf("handle %d: Ping: %v", i, err)
		}
	}
}

// testContextCancelled: every method given a cancelled context fails with an
// error matching context.Canceled (so callers can tell a gone client from a
// storage failure) and writes nothing.
func testContextCancelled(t *testing.T, h harness) {
	r := h.repo(t)
	start := startOn(t, r, "user-ctx", at(0))
	id := start.Session.ID
	snap := takeSnapshot(t, r, id)
	ctx := cancelled(t)
	fresh := newSession("user-ctx", at(time.Minute))

	cases := []struct {
		name string
		call func() error
	}{
		{"StartSession", func() error {
			_, err := r.StartSession(ctx, fresh, userMessage(fresh.ID, "user-ctx", at(time.Minute)))
			return err
		}},
		{"AppendMessage", func() error {
			_, err := r.AppendMessage(ctx, userMessage(id, "user-ctx", at(time.Minute)))
			return err
		}},
		{"AppendMessage duplicate", func() error {
			_, err := r.AppendMessage(ctx, start.Message)
			return err
		}},
		{"GetSession", func() error {
			_, err := r.GetSession(ctx, id)
			return err
		}},
		{"ListSessions", func() error {
			_, err := r.ListSessions(ctx, chat.SessionQuery{UserID: "user-ctx", Limit: 10})
			return err
		}},
		{"ListMessages", func() error {
			_, err := r.ListMessages(ctx, id, 0, 10)
			return err
		}},
		{"SetSessionModel", func() error {
			_, err := r.SetSessionModel(ctx, id, "model-b", at(time.Minute))
			return err
		}},
		{"EndSession", func() error {
			_, _, err := r.EndSession(ctx, id, chat.EndByUser, at(time.Minute))
			return err
		}},
		{"Ping", func() error { return r.Ping(ctx) }},
	}
	for _, tc := range cases {
		if err := tc.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want one matching context.Canceled", tc.name, err)
		}
	}
	snap.checkUnchanged(t, r)
	_, err := r.GetSession(t.Context(), fresh.ID)
	checkIs(t, "GetSession of a session started with a cancelled context", err, chat.ErrNotFound)
}

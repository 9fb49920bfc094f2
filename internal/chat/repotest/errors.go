package repotest

import (
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testErrors: an unknown session is ErrNotFound, a write to an ended one
// ErrSessionEnded, both matched with errors.Is and wrapped with context; a
// failed write changes nothing.
func testErrors(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	active := startOn(t, r, "user-errors", at(0)).Session
	ended := startOn(t, r, "user-errors", at(0)).Session
	if _, _, err := r.EndSession(ctx, ended.ID, chat.EndByUser, at(time.Second)); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	unknown := newID("ses")

	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"GetSession unknown", func() error {
			_, err := r.GetSession(ctx, unknown)
			return err
		}, chat.ErrNotFound},
		{"AppendMessage unknown", func() error {
			_, err := r.AppendMessage(ctx, userMessage(unknown, "user-errors", at(time.Minute)))
			return err
		}, chat.ErrNotFound},
		{"AppendMessage unknown without client id", func() error {
			_, err := r.AppendMessage(ctx, aiMessage(unknown, 1, at(time.Minute)))
			return err
		}, chat.ErrNotFound},
		{"AppendMessage ended", func() error {
			_, err := r.AppendMessage(ctx, userMessage(ended.ID, "user-errors", at(time.Minute)))
			return err
		}, chat.ErrSessionEnded},
		{"AppendMessage ended without client id", func() error {
			_, err := r.AppendMessage(ctx, aiMessage(ended.ID, 1, at(time.Minute)))
			return err
		}, chat.ErrSessionEnded},
		{"SetSessionModel unknown", func() error {
			_, err := r.SetSessionModel(ctx, unknown, "model-b", at(time.Minute))
			return err
		}, chat.ErrNotFound},
		{"SetSessionModel ended", func() error {
			_, err := r.SetSessionModel(ctx, ended.ID, "model-b", at(time.Minute))
			return err
		}, chat.ErrSessionEnded},
		{"EndSession unknown", func() error {
			_, _, err := r.EndSession(ctx, unknown, chat.EndByUser, at(time.Minute))
			return err
		}, chat.ErrNotFound},
	}
	snapActive := takeSnapshot(t, r, active.ID)
	snapEnded := takeSnapshot(t, r, ended.ID)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkIs(t, tc.name, tc.call(), tc.want)
		})
	}
	snapActive.checkUnchanged(t, r)
	snapEnded.checkUnchanged(t, r)
	if _, err := r.GetSession(ctx, unknown); err == nil {
		t.Errorf("a failed write created session %s", unknown)
	}
	if msgs := allMessages(t, r, unknown); len(msgs) != 0 {
		t.Errorf("a failed write stored %d messages in session %s", len(msgs), unknown)
	}
}

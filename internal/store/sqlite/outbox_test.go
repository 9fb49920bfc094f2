package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/notify/outboxtest"
)

func TestOutboxContract(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) func(t *testing.T) notify.Outbox {
		path := filepath.Join(t.TempDir(), "chat.db")
		return func(t *testing.T) notify.Outbox {
			t.Helper()
			return openTest(t, path).Outbox()
		}
	})
}

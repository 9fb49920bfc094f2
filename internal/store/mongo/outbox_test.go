package mongo

import (
	"testing"

	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/notify/outboxtest"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

func TestOutboxContract(t *testing.T) {
	target := mongotest.NewTarget(t)
	outboxtest.Run(t, func(t *testing.T) func(t *testing.T) notify.Outbox {
		uri := target.URI("outbox")
		return func(t *testing.T) notify.Outbox {
			t.Helper()
			s := openTest(t, uri)
			t.Cleanup(func() { _ = s.Close() })
			return s.Outbox()
		}
	})
}

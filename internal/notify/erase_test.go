package notify_test

import (
	"testing"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// TestNewEraserNeedsAnErasingOutbox: an outbox adapter that cannot erase
// sessions is refused at start-up rather than silently keeping alerts
// about erased users.
func TestNewEraserNeedsAnErasingOutbox(t *testing.T) {
	var plain struct{ notify.Outbox }
	if _, err := notify.NewEraser(plain); err == nil {
		t.Error("NewEraser accepted an outbox that cannot erase sessions")
	}
}

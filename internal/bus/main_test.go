package bus

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: every
// server, connection and subscription must be shut down in t.Cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

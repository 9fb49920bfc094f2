package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/chat/repotest"
)

func TestMaintenanceContract(t *testing.T) {
	repotest.RunMaintenance(t, func(t *testing.T) func(t *testing.T) chat.Repository {
		path := filepath.Join(t.TempDir(), "chat.db")
		return func(t *testing.T) chat.Repository {
			t.Helper()
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

package mongo

import (
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/chat/repotest"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// TestRepositoryContract runs the contract suite against a real MongoDB
// wire-protocol server: an embedded FerretDB, or TEST_MONGO_URI's server.
// Each database gets its own handles, each with its own client, standing
// in for separate processes.
func TestRepositoryContract(t *testing.T) {
	target := mongotest.NewTarget(t)
	repotest.Run(t, func(t *testing.T) func(t *testing.T) chat.Repository {
		uri := target.URI("contract")
		return func(t *testing.T) chat.Repository {
			t.Helper()
			return openTest(t, uri)
		}
	})
}

// openTest opens a Store on uri; the caller (or the suite) closes it.
func openTest(t testing.TB, uri string) *Store {
	t.Helper()
	s, err := Open(t.Context(), uri)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestMaintenanceContract(t *testing.T) {
	target := mongotest.NewTarget(t)
	repotest.RunMaintenance(t, func(t *testing.T) func(t *testing.T) chat.Repository {
		uri := target.URI("maintenance")
		return func(t *testing.T) chat.Repository {
			t.Helper()
			return openTest(t, uri)
		}
	})
}

// Package repotest is the contract test suite for chat.Repository. Every
// adapter (SQLite, MongoDB...) runs it from its own tests:
//
//	func TestRepository(t *testing.T) {
//		repotest.Run(t, func(t *testing.T) func(t *testing.T) chat.Repository {
//			path := filepath.Join(t.TempDir(), "chat.db")
//			return func(t *testing.T) chat.Repository {
//				s, err := sqlite.Open(t.Context(), path)
//				if err != nil {
//					t.Fatal(err)
//				}
//				return s
//			}
//		})
//	}
//
// Each subtest states one part of the contract written on chat.Repository as
// behaviour, and fails if an adapter lacks it. Where the contract leaves a
// case open the suite pins the reading documented on the subtest, so all
// adapters behave alike.
package repotest

import (
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Factory returns a handle opener for a fresh, empty database. Each call of
// open returns a new, independent handle (like another process) to that
// same database; the suite closes handles it opens. Factory and open report
// their own failures through t (t.Fatal), so they never return nil.
type Factory func(t *testing.T) (open func(t *testing.T) chat.Repository)

// Run runs the contract suite against the adapter newDB creates. Subtests
// run in parallel, each on its own database, so newDB must be safe to call
// concurrently.
func Run(t *testing.T, newDB Factory) {
	t.Helper()
	h := harness{newDB: newDB}
	tests := []struct {
		name string
		run  func(t *testing.T, h harness)
	}{
		{"StartSession", testStartSession},
		{"AppendMessage", testAppendMessage},
		{"UpdatedAtNeverMovesBack", testUpdatedAtNeverMovesBack},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"MessageRoundTrip", testMessageRoundTrip},
		{"Idempotency", testIdempotency},
		{"Errors", testErrors},
		{"ListMessages", testListMessages},
		{"ListSessions", testListSessions},
		{"ListSessionsPagination", testListSessionsPagination},
		{"ListSessionsLimit", testListSessionsLimit},
		{"SetSessionModel", testSetSessionModel},
		{"EndSession", testEndSession},
		{"HandlesShareOneDatabase", testHandlesShareOneDatabase},
		{"ConcurrentAppends", testConcurrentAppends},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"ChangeOwner", testChangeOwner},
		{"ConcurrentTakeovers", testConcurrentTakeovers},
		{"RequestHelp", testRequestHelp},
		{"AdminListFilters", testAdminListFilters},
		{"Audit", testAudit},
		{"CountsAndUsage", testCountsAndUsage},
		{"Usage", testUsage},
		{"ConversationIDs", testConversationIDs},
		{"ReplyLeases", testReplyLeases},
		{"ReplyLeaseRace", testReplyLeaseRace},
		{"OrphanedReplies", testOrphanedReplies},
		{"IdleExpiry", testIdleExpiry}, {"IdleExpiryLimit", testIdleExpiryLimit}, {"IdleExpiryRace", testIdleExpiryRace},
		{"Retention", testRetention}, {"DeleteSessions", testDeleteSessions},
		{"Ping", testPing},
		{"Uploads", testUploads},
		{"UploadUsage", testUploadUsage}, {"UnattachedUploads", testUnattachedUploads}, {"UnattachedUploadsRace", testUnattachedUploadsRace},
		{"ContextCancelled", testContextCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, h)
		})
	}
}

// harness opens databases for subtests.
type harness struct {
	newDB Factory
}

// handles opens n handles to one fresh database; they are closed when t
// ends.
func (h harness) handles(t *testing.T, n int) []chat.Repository {
	t.Helper()
	open := h.newDB(t)
	repos := make([]chat.Repository, n)
	for i := range repos {
		r := open(t)
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Errorf("handle %d: Close: %v", i, err)
			}
		})
		repos[i] = r
	}
	return repos
}

// repo opens one handle to a fresh database.
func (h harness) repo(t *testing.T) chat.Repository {
	t.Helper()
	return h.handles(t, 1)[0]
}

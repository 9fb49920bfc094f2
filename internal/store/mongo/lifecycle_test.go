package mongo

import (
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// TestErasureLeavesNoDocument: after the outbox erasure and DeleteSessions,
// no document of any collection of the database mentions the session or
// its user (messages, ownership records, ending claims, notifications,
// leases, rate limit windows included): checked by reading every
// collection directly, not through the adapter's own queries.
func TestErasureLeavesNoDocument(t *testing.T) {
	target := mongotest.NewTarget(t)
	s := openTest(t, target.URI("erasure"))
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	const user = "user-to-erase"
	sess, first := firstMessage("session-to-erase")
	sess.UserID, sess.UserName = user, "Erased User"
	first.AuthorID = user
	if _, err := s.StartSession(ctx, sess, first); err != nil {
		t.Fatal(err)
	}
	reply := benchMessage(sess.ID, "reply-1")
	reply.ClientMsgID, reply.AuthorID, reply.Sender = "", "", chat.SenderAI
	if _, err := s.AppendMessage(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeOwner(ctx, sess.ID, 0, chat.OwnerHuman, "admin", "Admin", benchTime(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConversationIDs(ctx, sess.ID, map[string]string{"dify": "conv-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.OweReply(ctx, sess.ID, 2, benchTime(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimReply(ctx, sess.ID, "instance-1", benchTime(2*time.Second), benchTime(time.Minute)); err != nil || !ok {
		t.Fatalf("ClaimReply = %v, %v", ok, err)
	}
	if ended, err := s.EndIdleSessions(ctx, benchTime(time.Hour), benchTime(time.Hour), 10); err != nil || len(ended) != 1 {
		t.Fatalf("EndIdleSessions = %d sessions, %v", len(ended), err)
	}
	o := s.Outbox()
	scope := "help_requested/" + sess.ID
	note := notify.Notification{ID: "n1", Key: "k1", Event: notify.HelpRequested, Channel: notify.Email,
		Recipient: "ops@example.com", SessionID: sess.ID, Payload: []byte(user)}
	if _, err := o.Enqueue(ctx, benchTime(0), []notify.Notification{note}, &notify.RateLimit{Scope: scope, Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Claim(ctx, "worker", benchTime(time.Second), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if found := docsMentioning(t, s, sess.ID, user, "n1/"); len(found) == 0 {
		t.Fatal("the fixture left no document to erase")
	}

	if _, err := o.EraseSessions(ctx, []string{sess.ID}, []string{scope}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteSessions(ctx, []string{sess.ID}); err != nil || n != 1 {
		t.Fatalf("DeleteSessions = %d, %v", n, err)
	}
	if found := docsMentioning(t, s, sess.ID, user, "n1/"); len(found) != 0 {
		t.Errorf("documents still mentioning the erased session or user:\n%s", strings.Join(found, "\n"))
	}
}

// docsMentioning returns the documents (collection and extended JSON) of
// every collection that contain any of the needles.
func docsMentioning(t *testing.T, s *Store, needles ...string) []string {
	t.Helper()
	ctx := t.Context()
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, name := range names {
		cur, err := s.db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			text := cur.Current.String()
			for _, n := range needles {
				if strings.Contains(text, n) {
					found = append(found, name+": "+text)
					break
				}
			}
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
		_ = cur.Close(ctx)
	}
	return found
}

// TestEndingClaims: a live claim by another sweeper keeps this one off the
// session; a claim left by a sweeper that died before ending its session
// (older than staleEnding, session still active) is finished by the next.
func TestEndingClaims(t *testing.T) {
	target := mongotest.NewTarget(t)
	s := openTest(t, target.URI("claims"))
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	sess, first := firstMessage("claimed-session")
	if _, err := s.StartSession(ctx, sess, first); err != nil {
		t.Fatal(err)
	}
	sweepAt := benchTime(time.Hour)
	rival := endingDoc{SessionID: sess.ID, Reason: chat.EndByIdle, At: sweepAt.Add(-staleEnding / 2), Claim: "rival"}
	if _, err := s.db.Collection(endingsCollection).InsertOne(ctx, rival); err != nil {
		t.Fatal(err)
	}
	ended, err := s.EndIdleSessions(ctx, sweepAt, sweepAt, 10)
	if err != nil || len(ended) != 0 {
		t.Fatalf("with a live rival claim: EndIdleSessions = %v, %v; want nothing ended", idsOfSessions(ended), err)
	}
	later := sweepAt.Add(staleEnding)
	ended, err = s.EndIdleSessions(ctx, later, later, 10)
	if err != nil || len(ended) != 1 || ended[0].EndReason != chat.EndByIdle {
		t.Fatalf("with a stale claim: EndIdleSessions = %v, %v; want the session ended as idle", idsOfSessions(ended), err)
	}
}

func idsOfSessions(ss []chat.Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

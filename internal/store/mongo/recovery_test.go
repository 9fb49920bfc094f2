package mongo

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// testStore opens a Store on a fresh database and closes it when t ends.
func testStore(t *testing.T, target *mongotest.Target) *Store {
	t.Helper()
	s := openTest(t, target.URI("recovery"))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// firstMessage is a session and its first message as a user would start it.
func firstMessage(id string) (chat.Session, chat.SealedMessage) {
	s := chat.Session{ID: id, UserID: "u1", UserName: "User One", ModelID: "m1", Owner: chat.OwnerAI,
		CreatedAt: benchTime(0), UpdatedAt: benchTime(0)}
	return s, benchMessage(id, id+"-m1")
}

// interruptStart does what StartSession does up to its commit point and
// stops there, as a process dying between its two inserts would.
func interruptStart(t *testing.T, s *Store, sess chat.Session, first chat.SealedMessage) {
	t.Helper()
	sd := newSessionDoc(sess)
	sd.Status = string(chat.StatusActive)
	doc := newMessageDoc(first, 1, later(sess.UpdatedAt, first.CreatedAt))
	doc.Session = &sd
	if taken, err := s.insertMessage(t.Context(), doc); err != nil || taken != nil {
		t.Fatalf("insert first message: %v, %+v", err, taken)
	}
}

// TestInterruptedStartIsCompleted: a StartSession cut off after storing
// the first message is completed by whatever names the session next.
func TestInterruptedStartIsCompleted(t *testing.T) {
	target := mongotest.NewTarget(t)
	t.Run("by a read", func(t *testing.T) {
		s := testStore(t, target)
		sess, first := firstMessage("s-read")
		interruptStart(t, s, sess, first)
		got, err := s.GetSession(t.Context(), sess.ID)
		if err != nil || got.LastSeq != 1 || got.UserName != "User One" || got.Status != chat.StatusActive {
			t.Fatalf("GetSession of an interrupted start = %+v, %v; want the session with LastSeq 1", got, err)
		}
		page, err := s.ListSessions(t.Context(), chat.SessionQuery{UserID: "u1"})
		if err != nil || len(page.Sessions) != 1 {
			t.Fatalf("ListSessions after completion: %v, %v", page.Sessions, err)
		}
		res, err := s.AppendMessage(t.Context(), benchMessage(sess.ID, "s-read-m2"))
		if err != nil || res.Message.Seq != 2 {
			t.Fatalf("append after completion: seq %d, %v; want 2", res.Message.Seq, err)
		}
	})
	t.Run("by the client's retry", func(t *testing.T) {
		s := testStore(t, target)
		sess, first := firstMessage("s-retry")
		interruptStart(t, s, sess, first)
		// The client never got an answer and sends again; the server makes
		// up new ids for the session and message, the client id is the same.
		again, retry := firstMessage("s-retry-2")
		retry.ClientMsgID = first.ClientMsgID
		res, err := s.StartSession(t.Context(), again, retry)
		if err != nil || !res.Duplicate || res.Session.ID != sess.ID || res.Message.ID != first.ID {
			t.Fatalf("retry of an interrupted start = %+v, %v; want the original session and message", res, err)
		}
		if _, err := s.GetSession(t.Context(), again.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("the retry's own session id: %v, want ErrNotFound", err)
		}
	})
}

// TestInterruptedTakeoverIsRolledForward: an ownership change claimed but
// not applied (its writer died) is applied by the next change, which then
// reports the conflict it is.
func TestInterruptedTakeoverIsRolledForward(t *testing.T) {
	s := testStore(t, mongotest.NewTarget(t))
	sess, first := firstMessage("s-owner")
	if _, err := s.StartSession(t.Context(), sess, first); err != nil {
		t.Fatal(err)
	}
	claim := ownershipDoc{Key: slotKey(sess.ID, 1), SessionID: sess.ID, Epoch: 1,
		Owner: string(chat.OwnerHuman), AdminID: "admin-1", AdminName: "Ada", At: benchTime(time.Minute)}
	if _, err := s.ownership.InsertOne(t.Context(), claim); err != nil {
		t.Fatal(err)
	}
	_, err := s.ChangeOwner(t.Context(), sess.ID, 0, chat.OwnerHuman, "admin-2", "Bob", benchTime(2*time.Minute))
	if !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("takeover at the claimed epoch: %v, want ErrConflict", err)
	}
	got, err := s.GetSession(t.Context(), sess.ID)
	if err != nil || got.Epoch != 1 || got.AdminID != "admin-1" || !got.AdminAssisted {
		t.Fatalf("session after the roll-forward = %+v, %v; want admin-1 at epoch 1", got, err)
	}
	released, err := s.ChangeOwner(t.Context(), sess.ID, 1, chat.OwnerAI, "", "", benchTime(3*time.Minute))
	if err != nil || released.Epoch != 2 || released.Owner != chat.OwnerAI {
		t.Fatalf("release at epoch 1 = %+v, %v", released, err)
	}
}

// TestEnsureIndexes: every index is created under its name, again without
// error, with the seed's four on the sessions collection.
func TestEnsureIndexes(t *testing.T) {
	s := testStore(t, mongotest.NewTarget(t))
	for round := range 2 {
		for _, r := range s.EnsureIndexes(t.Context()) {
			if r.Err != nil {
				t.Errorf("round %d: index %s: %v", round+1, r.Name, r.Err)
			}
		}
	}
	names := func(coll string) []string {
		cur, err := s.db.Collection(coll).Indexes().List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var specs []struct {
			Name   string `bson:"name"`
			Unique bool   `bson:"unique"`
		}
		if err := cur.All(t.Context(), &specs); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, sp := range specs {
			out = append(out, sp.Name)
			if sp.Name == "idx_idempotency" && !sp.Unique {
				t.Error("idx_idempotency is not unique")
			}
		}
		return out
	}
	for _, want := range indexSpecs() {
		if got := names(want.collection); !slices.Contains(got, want.name) {
			t.Errorf("%s indexes %v lack %s", want.collection, got, want.name)
		}
	}
	if got := names(sessionsCollection); !slices.Contains(got, SeedIndexes()[3]) {
		t.Errorf("sessions indexes %v", got)
	}
}

// TestStoreRidesOutAServerRestart: while the server is down calls fail
// (nothing is acknowledged that was not stored); once it is back the same
// Store carries on, with no reconnect by the caller.
func TestStoreRidesOutAServerRestart(t *testing.T) {
	srv := mongotest.Start(t)
	s := openTest(t, srv.URI(mongotest.DBName("restart"), "serverSelectionTimeoutMS=300"))
	t.Cleanup(func() { _ = s.Close() })
	sess, first := firstMessage("s-restart")
	if _, err := s.StartSession(t.Context(), sess, first); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping with the server down succeeded")
	}
	if _, err := s.AppendMessage(t.Context(), benchMessage(sess.ID, "lost")); err == nil {
		t.Fatal("AppendMessage with the server down succeeded")
	}

	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Ping never recovered after the server came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := s.AppendMessage(t.Context(), benchMessage(sess.ID, "after"))
	if err != nil || res.Message.Seq != 2 {
		t.Fatalf("append after the restart: seq %d, %v; want 2 (the failed one stored nothing)", res.Message.Seq, err)
	}
	var n int64
	if n, err = s.messages.CountDocuments(t.Context(), bson.D{{Key: "session_id", Value: sess.ID}}); err != nil || n != 2 {
		t.Fatalf("%d messages stored, %v; want 2", n, err)
	}
}

package repotest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// newUpload returns an unattached upload of ownerID created at created.
func newUpload(ownerID string, created time.Time) chat.Upload {
	id := newID("file")
	return chat.Upload{
		ID: id, OwnerID: ownerID, Name: "screenshot of " + ownerID + ".png", Size: 1234,
		ContentType: "image/png", Key: "uploads/" + id, CreatedAt: created,
	}
}

func mustSaveUpload(t *testing.T, r chat.Repository, u chat.Upload) chat.Upload {
	t.Helper()
	if err := r.SaveUpload(t.Context(), u); err != nil {
		t.Fatalf("SaveUpload(%s): %v", u.ID, err)
	}
	return u
}

func uploadIDs(us []chat.Upload) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

func checkUpload(t *testing.T, what string, got, want chat.Upload) {
	t.Helper()
	var d diffs
	field(&d, "ID", got.ID, want.ID)
	field(&d, "OwnerID", got.OwnerID, want.OwnerID)
	field(&d, "SessionID", got.SessionID, want.SessionID)
	field(&d, "MessageID", got.MessageID, want.MessageID)
	field(&d, "Name", got.Name, want.Name)
	field(&d, "Size", got.Size, want.Size)
	field(&d, "ContentType", got.ContentType, want.ContentType)
	field(&d, "Key", got.Key, want.Key)
	timeField(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	if len(d) > 0 {
		t.Errorf("%s: upload %s differs:\n\t%s", what, want.ID, strings.Join(d, "\n\t"))
	}
}

// testUploads: records round-trip; attaching is owner-only, all or none,
// idempotent for the same message; listings are ordered; deletion skips
// unknown ids.
func testUploads(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	sess := startOn(t, r, "alice", at(0)).Session
	msg := mustAppend(t, r, userMessage(sess.ID, "alice", at(time.Second))).Message

	a := mustSaveUpload(t, r, newUpload("alice", at(2*time.Second)))
	b := mustSaveUpload(t, r, newUpload("alice", at(2*time.Second)))
	c := mustSaveUpload(t, r, newUpload("alice", at(3*time.Second)))
	bob := mustSaveUpload(t, r, newUpload("bob", at(2*time.Second)))

	got, err := r.GetUpload(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetUpload: %v", err)
	}
	checkUpload(t, "GetUpload", got, a)
	if got.Attached() {
		t.Errorf("a new upload is attached")
	}
	_, err = r.GetUpload(ctx, newID("file"))
	checkIs(t, "GetUpload(unknown)", err, chat.ErrNotFound)
	checkIs(t, "SaveUpload(existing id, other key)", r.SaveUpload(ctx, func() chat.Upload { u := a; u.Key += "x"; return u }()), chat.ErrConflict)

	t.Run("AllOrNone", func(t *testing.T) {
		for _, ids := range [][]string{
			{a.ID, bob.ID},        // not alice's
			{a.ID, newID("file")}, // unknown
		} {
			_, err := r.AttachUploads(ctx, "alice", sess.ID, msg.ID, ids)
			checkIs(t, fmt.Sprintf("AttachUploads(%v)", ids), err, chat.ErrAttachment)
			if !errors.Is(err, chat.ErrInvalid) {
				t.Errorf("AttachUploads(%v): %v does not match ErrInvalid", ids, err)
			}
			if u, _ := r.GetUpload(ctx, a.ID); u.Attached() {
				t.Fatalf("a failed attach attached %s", a.ID)
			}
		}
	})

	attached, err := r.AttachUploads(ctx, "alice", sess.ID, msg.ID, []string{b.ID, a.ID})
	if err != nil {
		t.Fatalf("AttachUploads: %v", err)
	}
	if ids := uploadIDs(attached); !slices.Equal(ids, []string{b.ID, a.ID}) {
		t.Errorf("AttachUploads returned %v, want the given order %v", ids, []string{b.ID, a.ID})
	}
	wantA, wantB := a, b
	wantA.SessionID, wantA.MessageID = sess.ID, msg.ID
	wantB.SessionID, wantB.MessageID = sess.ID, msg.ID
	for i, want := range []chat.Upload{wantB, wantA} {
		if i < len(attached) {
			checkUpload(t, "AttachUploads result", attached[i], want)
		}
	}
	if _, err := r.AttachUploads(ctx, "alice", sess.ID, msg.ID, []string{a.ID, b.ID}); err != nil {
		t.Errorf("attaching to the same message again (a retry): %v", err)
	}
	other := mustAppend(t, r, userMessage(sess.ID, "alice", at(4*time.Second))).Message
	_, err = r.AttachUploads(ctx, "alice", sess.ID, other.ID, []string{c.ID, a.ID})
	checkIs(t, "AttachUploads(file sent in another message)", err, chat.ErrAttachment)
	if u, _ := r.GetUpload(ctx, c.ID); u.Attached() {
		t.Errorf("a failed attach attached %s", c.ID)
	}

	list, err := r.ListSessionUploads(ctx, sess.ID)
	if err != nil {
		t.Fatalf("ListSessionUploads: %v", err)
	}
	wantOrder := []string{a.ID, b.ID}
	if b.ID < a.ID {
		wantOrder = []string{b.ID, a.ID}
	}
	if ids := uploadIDs(list); !slices.Equal(ids, wantOrder) {
		t.Errorf("ListSessionUploads = %v, want %v (oldest first, ties by id)", ids, wantOrder)
	}
	mine, err := r.ListUserUploads(ctx, "alice")
	if err != nil {
		t.Fatalf("ListUserUploads: %v", err)
	}
	if ids := uploadIDs(mine); !slices.Equal(ids, append(wantOrder, c.ID)) {
		t.Errorf("ListUserUploads = %v, want %v", ids, append(wantOrder, c.ID))
	}
	if none, err := r.ListSessionUploads(ctx, newID("ses")); err != nil || len(none) != 0 {
		t.Errorf("ListSessionUploads(unknown) = %v, %v; want empty", none, err)
	}

	if err := r.DeleteUploads(ctx, []string{a.ID, newID("file"), c.ID}); err != nil {
		t.Fatalf("DeleteUploads: %v", err)
	}
	_, err = r.GetUpload(ctx, a.ID)
	checkIs(t, "GetUpload(deleted)", err, chat.ErrNotFound)
	if mine, _ := r.ListUserUploads(ctx, "alice"); !slices.Equal(uploadIDs(mine), []string{b.ID}) {
		t.Errorf("after DeleteUploads, ListUserUploads = %v, want [%s]", uploadIDs(mine), b.ID)
	}
	if err := r.DeleteUploads(ctx, nil); err != nil {
		t.Errorf("DeleteUploads(nil): %v", err)
	}
}

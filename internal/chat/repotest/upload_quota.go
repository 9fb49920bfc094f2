package repotest

import (
	"slices"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testUploadUsage: UploadUsage sums a user's uploads, attached or not, on
// any handle; other users' files do not count; deleted ones no longer do.
func testUploadUsage(t *testing.T, h harness) {
	rs := h.handles(t, 2)
	ctx := t.Context()
	if u, err := rs[0].UploadUsage(ctx, "nobody"); err != nil || u != (chat.UploadUsage{}) {
		t.Fatalf("UploadUsage(unknown user) = %+v, %v; want zero", u, err)
	}
	sess := startOn(t, rs[0], "alice", at(0)).Session
	msg := mustAppend(t, rs[0], userMessage(sess.ID, "alice", at(time.Second))).Message
	big := newUpload("alice", at(time.Second))
	big.Size = 5 << 20
	a := mustSaveUpload(t, rs[0], big)
	b := mustSaveUpload(t, rs[1], newUpload("alice", at(2*time.Second)))
	mustSaveUpload(t, rs[1], newUpload("bob", at(2*time.Second)))
	if _, err := rs[0].AttachUploads(ctx, "alice", sess.ID, msg.ID, []string{a.ID}); err != nil {
		t.Fatalf("AttachUploads: %v", err)
	}
	want := chat.UploadUsage{Files: 2, Bytes: a.Size + b.Size}
	for i, r := range rs {
		if u, err := r.UploadUsage(ctx, "alice"); err != nil || u != want {
			t.Errorf("handle %d: UploadUsage(alice) = %+v, %v; want %+v", i, u, err, want)
		}
	}
	if err := rs[1].DeleteUploads(ctx, []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	if u, err := rs[0].UploadUsage(ctx, "alice"); err != nil || u != (chat.UploadUsage{Files: 1, Bytes: a.Size}) {
		t.Errorf("after a deletion: UploadUsage(alice) = %+v, %v", u, err)
	}
}

// testUnattachedUploads: UnattachedBefore lists only never-attached
// uploads created strictly before the cutoff, oldest first, up to limit;
// DeleteUnattached deletes only those, once.
func testUnattachedUploads(t *testing.T, h harness) {
	r := h.repo(t)
	ctx := t.Context()
	sess := startOn(t, r, "alice", at(0)).Session
	msg := mustAppend(t, r, userMessage(sess.ID, "alice", at(time.Second))).Message
	old2 := mustSaveUpload(t, r, newUpload("bob", at(2*time.Second)))
	old1 := mustSaveUpload(t, r, newUpload("alice", at(time.Second)))
	sent := mustSaveUpload(t, r, newUpload("alice", at(time.Second)))
	edge := mustSaveUpload(t, r, newUpload("alice", at(time.Hour)))
	mustSaveUpload(t, r, newUpload("alice", at(2*time.Hour)))
	if _, err := r.AttachUploads(ctx, "alice", sess.ID, msg.ID, []string{sent.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := r.UnattachedBefore(ctx, at(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if ids := uploadIDs(got); !slices.Equal(ids, []string{old1.ID, old2.ID}) {
		t.Errorf("UnattachedBefore(1h) = %v, want %v (not the attached one, not the one created at the cutoff %s)", ids, []string{old1.ID, old2.ID}, edge.ID)
	} else {
		checkUpload(t, "UnattachedBefore", got[0], old1)
	}
	if got, err := r.UnattachedBefore(ctx, at(time.Hour), 1); err != nil || len(got) != 1 || got[0].ID != old1.ID {
		t.Errorf("UnattachedBefore(limit 1) = %v, %v; want the oldest", uploadIDs(got), err)
	}
	if got, err := r.UnattachedBefore(ctx, at(time.Hour), 0); err != nil || len(got) != 0 {
		t.Errorf("UnattachedBefore(limit 0) = %v, %v; want none", uploadIDs(got), err)
	}

	if ok, err := r.DeleteUnattached(ctx, sent.ID); err != nil || ok {
		t.Errorf("DeleteUnattached(attached) = %v, %v; want false", ok, err)
	}
	if _, err := r.GetUpload(ctx, sent.ID); err != nil {
		t.Errorf("the attached upload is gone: %v", err)
	}
	if ok, err := r.DeleteUnattached(ctx, old1.ID); err != nil || !ok {
		t.Errorf("DeleteUnattached(unattached) = %v, %v; want true", ok, err)
	}
	_, err = r.GetUpload(ctx, old1.ID)
	checkIs(t, "GetUpload after DeleteUnattached", err, chat.ErrNotFound)
	if ok, err := r.DeleteUnattached(ctx, old1.ID); err != nil || ok {
		t.Errorf("DeleteUnattached again = %v, %v; want false", ok, err)
	}
	if ok, err := r.DeleteUnattached(ctx, newID("file")); err != nil || ok {
		t.Errorf("DeleteUnattached(unknown) = %v, %v; want false", ok, err)
	}
	_, err = r.AttachUploads(ctx, "alice", sess.ID, msg.ID, []string{old1.ID})
	checkIs(t, "AttachUploads of an expired upload", err, chat.ErrAttachment)
}

// testUnattachedUploadsRace: handles deleting the same expired uploads at
// once each delete a share, and every upload is deleted by exactly one, so
// the sweep counts each once.
func testUnattachedUploadsRace(t *testing.T, h harness) {
	const (
		handles   = 2
		perHandle = 2
		uploads   = 8
	)
	rs := h.handles(t, handles)
	var ids []string
	for range uploads {
		ids = append(ids, mustSaveUpload(t, rs[0], newUpload(newID("user"), at(0))).ID)
	}
	won := make([][]string, handles*perHandle)
	race(t, len(won), func(i int) error {
		for _, id := range ids {
			ok, err := rs[i%handles].DeleteUnattached(t.Context(), id)
			if err != nil {
				return err
			}
			if ok {
				won[i] = append(won[i], id)
			}
		}
		return nil
	})
	if t.Failed() {
		return
	}
	by := map[string]int{}
	for i, w := range won {
		for _, id := range w {
			if prev, dup := by[id]; dup {
				t.Errorf("upload %s deleted by racers %d and %d, want exactly one", id, prev, i)
			}
			by[id] = i
		}
	}
	if len(by) != uploads {
		t.Errorf("%d of %d uploads reported deleted", len(by), uploads)
	}
}

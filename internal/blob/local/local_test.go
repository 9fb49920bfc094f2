package local_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatboxhq/chatbox/internal/blob/blobtest"
	"github.com/chatboxhq/chatbox/internal/blob/local"
	"github.com/chatboxhq/chatbox/internal/chat"
)

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) chat.BlobStore {
		s, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Keys never reach outside the root, and a refused upload leaves no
// partial file in the directory.
func TestKeysStayInsideTheRoot(t *testing.T) {
	dir := t.TempDir()
	s, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"../escape", "uploads/../../escape", "/etc/passwd", `uploads\..\x`, "", "uploads//x", "uploads/.partial-1"} {
		if _, err := s.Put(t.Context(), k, bytes.NewReader([]byte("x")), 10, ""); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("Put(%q) = %v, want ErrInvalid", k, err)
		}
		if _, err := s.Open(t.Context(), k); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file escaped the root: %v", err)
	}
	if _, err := s.Put(t.Context(), "uploads/big", bytes.NewReader(make([]byte, 2000)), 1000, ""); !errors.Is(err, chat.ErrTooLarge) {
		t.Fatalf("Put over the limit = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "uploads"))
	for _, e := range entries {
		t.Errorf("left behind after a refused upload: %s", e.Name())
	}
}

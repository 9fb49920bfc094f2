// Package blobtest is the contract test suite for chat.BlobStore. Every
// implementation runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) chat.BlobStore { return newStore(t) })
//	}
package blobtest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Factory returns a fresh, empty store; it reports failures through t.
type Factory func(t *testing.T) chat.BlobStore

// Run runs the contract suite against the stores newStore creates.
func Run(t *testing.T, newStore Factory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s chat.BlobStore)
	}{
		{"RoundTrip", testRoundTrip},
		{"LargeStreamedObject", testLargeObject},
		{"OverLimitLeavesNothing", testOverLimit},
		{"ExactlyAtLimit", testAtLimit},
		{"ReaderFailureLeavesNothing", testReaderFailure},
		{"Missing", testMissing},
		{"Delete", testDelete},
		{"URL", testURL},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func key() string { return "uploads/" + strings.ToLower(rand.Text()) }

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// read returns the whole object at k.
func read(t *testing.T, s chat.BlobStore, k string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), k)
	if err != nil {
		t.Fatalf("Open(%s): %v", k, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", k, err)
	}
	return b
}

func mustPut(t *testing.T, s chat.BlobStore, k string, data []byte) {
	t.Helper()
	n, err := s.Put(t.Context(), k, bytes.NewReader(data), int64(len(data))+1, "application/octet-stream")
	if err != nil {
		t.Fatalf("Put(%s): %v", k, err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put(%s) = %d bytes, want %d", k, n, len(data))
	}
}

// checkGone fails unless k is missing.
func checkGone(t *testing.T, s chat.BlobStore, k, what string) {
	t.Helper()
	rc, err := s.Open(t.Context(), k)
	if err == nil {
		rc.Close()
		t.Errorf("%s: object %s exists, want nothing left behind", what, k)
	} else if !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("%s: Open(%s) = %v, want ErrNotFound", what, k, err)
	}
}

func testRoundTrip(t *testing.T, s chat.BlobStore) {
	for _, size := range []int{0, 1, 1000, 64<<10 + 7} {
		k, data := key(), random(size)
		mustPut(t, s, k, data)
		if got := read(t, s, k); !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes that differ", size, len(got))
		}
	}
	// Putting a key again replaces the object.
	k := key()
	mustPut(t, s, k, []byte("first"))
	mustPut(t, s, k, []byte("second"))
	if got := read(t, s, k); string(got) != "second" {
		t.Errorf("after a second Put, read %q, want %q", got, "second")
	}
}

// testLargeObject streams an object over several multipart parts from a
// reader that yields small chunks, as a network body does.
func testLargeObject(t *testing.T, s chat.BlobStore) {
	k, data := key(), random(11<<20+123)
	n, err := s.Put(t.Context(), k, iotest.HalfReader(bytes.NewReader(data)), 20<<20, "application/pdf")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != int64(len(data)) {
		t.Errorf("Put = %d bytes, want %d", n, len(data))
	}
	if got := read(t, s, k); !bytes.Equal(got, data) {
		t.Errorf("read back %d bytes that differ from the %d put", len(got), len(data))
	}
}

func testOverLimit(t *testing.T, s chat.BlobStore) {
	for _, tc := range []struct{ size, limit int }{{101, 100}, {6 << 20, 5<<20 + 1}, {12 << 20, 7 << 20}} {
		k := key()
		_, err := s.Put(t.Context(), k, bytes.NewReader(random(tc.size)), int64(tc.limit), "")
		if !errors.Is(err, chat.ErrTooLarge) {
			t.Errorf("Put(%d bytes, limit %d) = %v, want ErrTooLarge", tc.size, tc.limit, err)
		}
		checkGone(t, s, k, fmt.Sprintf("over the limit (%d > %d)", tc.size, tc.limit))
	}
}

func testAtLimit(t *testing.T, s chat.BlobStore) {
	for _, size := range []int{100, 5 << 20} {
		k, data := key(), random(size)
		n, err := s.Put(t.Context(), k, bytes.NewReader(data), int64(size), "")
		if err != nil || n != int64(size) {
			t.Errorf("Put(%d bytes, limit %d) = %d, %v; want it stored", size, size, n, err)
			continue
		}
		if got := read(t, s, k); !bytes.Equal(got, data) {
			t.Errorf("size %d at the limit: read back differs", size)
		}
	}
}

func testReaderFailure(t *testing.T, s chat.BlobStore) {
	boom := errors.New("client went away")
	for _, size := range []int{1000, 6 << 20} {
		k := key()
		r := io.MultiReader(bytes.NewReader(random(size)), iotest.ErrReader(boom))
		if _, err := s.Put(t.Context(), k, r, 20<<20, ""); !errors.Is(err, boom) {
			t.Errorf("Put with a reader failing after %d bytes = %v, want its error", size, err)
		}
		checkGone(t, s, k, "reader failed")
	}
}

func testMissing(t *testing.T, s chat.BlobStore) {
	checkGone(t, s, key(), "never stored")
}

func testDelete(t *testing.T, s chat.BlobStore) {
	a, b, c := key(), key(), key()
	mustPut(t, s, a, []byte("a"))
	mustPut(t, s, b, []byte("b"))
	if err := s.Delete(t.Context(), a, c); err != nil {
		t.Fatalf("Delete(existing, missing): %v", err)
	}
	checkGone(t, s, a, "deleted")
	if got := read(t, s, b); string(got) != "b" {
		t.Errorf("Delete removed or changed another object: %q", got)
	}
	if err := s.Delete(t.Context(), a); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if err := s.Delete(t.Context()); err != nil {
		t.Errorf("Delete(): %v", err)
	}
}

// testURL: a store that serves URLs serves the object's bytes there.
func testURL(t *testing.T, s chat.BlobStore) {
	k, data := key(), random(3000)
	mustPut(t, s, k, data)
	h := chat.DownloadHeaders{ContentType: "image/png", ContentDisposition: `inline; filename="a.png"`}
	url, ok, err := s.URL(t.Context(), k, h, time.Minute)
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	if !ok {
		if url != "" {
			t.Errorf("URL returned %q with ok false", url)
		}
		return
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET presigned URL: %v", err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Errorf("GET presigned URL: %s, %d bytes; want 200 and the object", resp.Status, len(got))
	}
}

func testConcurrent(t *testing.T, s chat.BlobStore) {
	var wg sync.WaitGroup
	keys := make([]string, 8)
	datas := make([][]byte, len(keys))
	for i := range keys {
		keys[i], datas[i] = key(), random(10_000+i)
		wg.Go(func() {
			if _, err := s.Put(t.Context(), keys[i], bytes.NewReader(datas[i]), 1<<20, ""); err != nil {
				t.Errorf("Put %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range keys {
		if got := read(t, s, keys[i]); !bytes.Equal(got, datas[i]) {
			t.Errorf("object %d differs", i)
		}
	}
}

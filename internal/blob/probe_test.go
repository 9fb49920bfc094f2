package blob_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/chatboxhq/chatbox/internal/blob"
	"github.com/chatboxhq/chatbox/internal/blob/local"
	s3blob "github.com/chatboxhq/chatbox/internal/blob/s3"
	"github.com/chatboxhq/chatbox/internal/chat"
)

// bucketServer is an in-process S3 server holding bucket "chatbox"; it
// counts the requests it serves.
type bucketServer struct {
	url      string
	backend  *s3mem.Backend
	requests atomic.Int64
}

func newBucketServer(t *testing.T) *bucketServer {
	t.Helper()
	b := &bucketServer{backend: s3mem.New()}
	if err := b.backend.CreateBucket("chatbox"); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(b.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	inner := faker.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.requests.Add(1)
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

func (b *bucketServer) store(t *testing.T, bucket string) *s3blob.Store {
	t.Helper()
	s, err := s3blob.New(s3blob.Config{
		Bucket: bucket, Region: "eu-west-1", Endpoint: b.url, UsePathStyle: true,
		AccessKeyID: "test-key", SecretAccessKey: "test-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable time source.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// Item 12 of issue 17: a bucket that is not there (the ConfigMap's old
// placeholder name) fails the probe; a real one passes, and the probe
// leaves nothing in it.
func TestProbeTellsAUsableStoreFromAnUnusableOne(t *testing.T) {
	srv := newBucketServer(t)
	tests := []struct {
		name   string
		store  func(t *testing.T) chat.BlobStore
		usable bool
	}{
		{"S3 bucket that exists", func(t *testing.T) chat.BlobStore { return srv.store(t, "chatbox") }, true},
		{"S3 bucket that does not exist", func(t *testing.T) chat.BlobStore { return srv.store(t, "your-actual-s3-bucket-name") }, false},
		{"local directory", func(t *testing.T) chat.BlobStore {
			s, err := local.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, true},
		{"local directory replaced by a file", func(t *testing.T) chat.BlobStore {
			dir := filepath.Join(t.TempDir(), "uploads")
			s, err := local.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			// Even root cannot write below a regular file.
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
				t.Fatal(err)
			}
			return s
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			p := blob.NewProber(tt.store(t), blob.ProbeOptions{Backend: "test", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			cause := p.Probe(t.Context())
			if (cause == nil) != tt.usable {
				t.Fatalf("Probe = %v, want usable=%v", cause, tt.usable)
			}
			err := p.Check(t.Context())
			if tt.usable && err != nil {
				t.Errorf("Check = %v after a good probe", err)
			}
			if !tt.usable && !errors.Is(err, blob.ErrUnusable) {
				t.Errorf("Check = %v, want ErrUnusable", err)
			}
			if err != nil && strings.ContainsAny(err.Error(), "/:") {
				t.Errorf("Check's answer %q carries a path or an error chain; it is shown by /readyz", err)
			}
		})
	}
	objects, err := srv.backend.ListBucket("chatbox", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objects.Contents) != 0 {
		t.Errorf("the probe left %d objects in the bucket", len(objects.Contents))
	}
}

// Readiness probes hit Check every few seconds on every pod: a success is
// reused for OKFor, a failure for the shorter FailFor, and a repaired
// bucket is noticed (and logged) at the next probe after that.
func TestProbeResultsAreCached(t *testing.T) {
	srv := newBucketServer(t)
	clk := &clock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	opts := blob.ProbeOptions{OKFor: 30 * time.Second, FailFor: 5 * time.Second, Now: clk.Now, Backend: "s3",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}

	good := blob.NewProber(srv.store(t, "chatbox"), opts)
	if err := good.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := srv.requests.Load()
	for range 5 {
		clk.now = clk.now.Add(5 * time.Second)
		if err := good.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.requests.Load() - after; n != 0 {
		t.Errorf("%d requests within OKFor of a success, want 0", n)
	}
	clk.now = clk.now.Add(5 * time.Second) // 30 s since the probe
	if err := good.Check(t.Context()); err != nil || srv.requests.Load() == after {
		t.Errorf("no new probe once OKFor passed (err %v)", err)
	}

	bad := blob.NewProber(srv.store(t, "chatbox-missing"), opts)
	if err := bad.Check(t.Context()); !errors.Is(err, blob.ErrUnusable) {
		t.Fatalf("Check = %v", err)
	}
	after = srv.requests.Load()
	clk.now = clk.now.Add(4 * time.Second)
	if err := bad.Check(t.Context()); !errors.Is(err, blob.ErrUnusable) || srv.requests.Load() != after {
		t.Errorf("a failure was not reused within FailFor (err %v)", err)
	}
	if err := srv.backend.CreateBucket("chatbox-missing"); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(time.Second)
	if err := bad.Check(t.Context()); err != nil {
		t.Errorf("the bucket exists now, but Check = %v", err)
	}
	if got := strings.Count(logs.String(), "upload storage UNUSABLE"); got != 1 {
		t.Errorf("logged the failure %d times, want once per outage:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "upload storage usable again") {
		t.Errorf("the recovery was not logged:\n%s", logs.String())
	}
}

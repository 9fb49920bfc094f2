package s3_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/chatboxhq/chatbox/internal/blob/blobtest"
	s3blob "github.com/chatboxhq/chatbox/internal/blob/s3"
	"github.com/chatboxhq/chatbox/internal/chat"
)

// newFake starts an in-process S3 server with one bucket and returns a
// Store on it, configured as for MinIO (custom endpoint, path style).
func newFake(t *testing.T) *s3blob.Store {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("chatbox"); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	s, err := s3blob.New(s3blob.Config{
		Bucket: "chatbox", Region: "eu-west-1", Endpoint: srv.URL, UsePathStyle: true,
		AccessKeyID: "test-key", SecretAccessKey: "test-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) chat.BlobStore { return newFake(t) })
}

func TestPing(t *testing.T) {
	if err := newFake(t).Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// The presigned URL names the bucket's path-style address, expires, and
// asks for the headers the download must carry.
func TestPresignedURL(t *testing.T) {
	s := newFake(t)
	if _, err := s.Put(t.Context(), "uploads/x", bytes.NewReader([]byte("%PDF-1.7")), 100, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	url, ok, err := s.URL(t.Context(), "uploads/x", chat.DownloadHeaders{
		ContentType: "application/pdf", ContentDisposition: `attachment; filename="r.pdf"`,
	}, 90*time.Second)
	if err != nil || !ok {
		t.Fatalf("URL = %q, %v, %v", url, ok, err)
	}
	for _, want := range []string{"/chatbox/uploads/x?", "X-Amz-Expires=90", "response-content-disposition=attachment", "response-content-type=application%2Fpdf"} {
		if !strings.Contains(url, want) {
			t.Errorf("presigned URL %s lacks %q", url, want)
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "%PDF-1.7" {
		t.Errorf("GET presigned URL = %q", body)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := s3blob.New(s3blob.Config{}); err == nil {
		t.Error("New without a bucket succeeded")
	}
	if _, err := s3blob.New(s3blob.Config{Bucket: "b", AccessKeyID: "only-id"}); err == nil {
		t.Error("New with an access key id but no secret succeeded")
	}
}

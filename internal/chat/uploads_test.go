package chat_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/blob/local"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/filetype"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
)

// scannerFunc adapts a function to chat.Scanner.
type scannerFunc func(ctx context.Context, u chat.Upload, content func(context.Context) (io.ReadCloser, error)) error

func (f scannerFunc) Scan(ctx context.Context, u chat.Upload, content func(context.Context) (io.ReadCloser, error)) error {
	return f(ctx, u, content)
}

type uploadsFixture struct {
	up   *chat.Uploads
	repo *sqlite.Store
	dir  string
}

func newUploads(t *testing.T, cfg chat.UploadConfig) uploadsFixture {
	t.Helper()
	repo, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	dir := filepath.Join(t.TempDir(), "blobs")
	blobs, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Repo, cfg.Blobs, cfg.Classify = repo, blobs, filetype.Classify
	up, err := chat.NewUploads(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return uploadsFixture{up: up, repo: repo, dir: dir}
}

// files lists what the blob directory holds.
func (f uploadsFixture) files(t *testing.T) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(f.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

var alice = chat.Actor{ID: "alice", Name: "Alice"}

// The quarantine hook sees every file, bytes included, before it is
// accepted; a refusal deletes the bytes and records nothing.
func TestScannerDecides(t *testing.T) {
	var scanned []string
	f := newUploads(t, chat.UploadConfig{Scanner: scannerFunc(func(ctx context.Context, u chat.Upload, content func(context.Context) (io.ReadCloser, error)) error {
		rc, err := content(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		body, _ := io.ReadAll(rc)
		scanned = append(scanned, u.Name+":"+string(body))
		if strings.Contains(string(body), "EICAR") {
			return chat.ErrRejected
		}
		return nil
	})})
	ok, err := f.up.Create(t.Context(), alice, chat.NewUpload{Name: "clean.txt", Body: strings.NewReader("hello")})
	if err != nil {
		t.Fatalf("clean file: %v", err)
	}
	_, err = f.up.Create(t.Context(), alice, chat.NewUpload{Name: "virus.txt", Body: strings.NewReader("X5O!P%@AP EICAR test")})
	if !errors.Is(err, chat.ErrRejected) {
		t.Errorf("infected file = %v, want ErrRejected", err)
	}
	if want := []string{"clean.txt:hello", "virus.txt:X5O!P%@AP EICAR test"}; strings.Join(scanned, "|") != strings.Join(want, "|") {
		t.Errorf("scanner saw %q, want %q", scanned, want)
	}
	if files := f.files(t); len(files) != 1 {
		t.Errorf("blob directory holds %v, want only the clean file", files)
	}
	if recs, _ := f.repo.ListUserUploads(t.Context(), "alice"); len(recs) != 1 || recs[0].ID != ok.ID {
		t.Errorf("records = %+v, want only the clean file", recs)
	}
}

// Downloads: the uploader and admins only; images inline, everything else
// as an attachment, with the sanitized name.
func TestDownload(t *testing.T) {
	f := newUploads(t, chat.UploadConfig{})
	ctx := t.Context()
	pdf, err := f.up.Create(ctx, alice, chat.NewUpload{Name: `C:\Users\alice\"Q3" report.pdf`, Body: strings.NewReader("%PDF-1.7 ...")})
	if err != nil {
		t.Fatal(err)
	}
	if pdf.Name != "Q3 report.pdf" || pdf.ContentType != filetype.PDF {
		t.Errorf("stored %q as %q, want name %q and application/pdf", pdf.Name, pdf.ContentType, "Q3 report.pdf")
	}
	d, err := f.up.Download(ctx, alice, pdf.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(d.Body)
	d.Body.Close()
	if string(body) != "%PDF-1.7 ..." || d.Headers.ContentDisposition != `attachment; filename="Q3 report.pdf"` {
		t.Errorf("download = %q with %q", body, d.Headers.ContentDisposition)
	}
	if _, err := f.up.Download(ctx, chat.Actor{ID: "bob"}, pdf.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("bob's download = %v, want ErrNotFound", err)
	}
	if d, err := f.up.Download(ctx, chat.Actor{ID: "root", Admin: true}, pdf.ID); err != nil {
		t.Errorf("admin's download: %v", err)
	} else {
		d.Body.Close()
	}
	gif, err := f.up.Create(ctx, alice, chat.NewUpload{Name: "a.gif", Body: bytes.NewReader([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := f.up.Download(ctx, alice, gif.ID); err != nil || d.Headers.ContentDisposition != "inline; filename=a.gif" {
		t.Errorf("image download = %+v, %v; want inline", d.Headers, err)
	} else {
		d.Body.Close()
	}
}

// The outcome of every upload is reported, with the bytes stored.
func TestUploadOutcomes(t *testing.T) {
	type outcome struct {
		result string
		bytes  int64
	}
	var got []outcome
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newUploads(t, chat.UploadConfig{MaxBytes: 1024, PerMinute: 60, Burst: 3, Now: func() time.Time { return now },
		Observe: func(result string, bytes int64) { got = append(got, outcome{result, bytes}) }})
	ctx := t.Context()
	_, _ = f.up.Create(ctx, alice, chat.NewUpload{Name: "a.txt", Body: strings.NewReader("hello")})
	_, err := f.up.Create(ctx, alice, chat.NewUpload{Name: "b.txt", Body: strings.NewReader(strings.Repeat("x", 2000))})
	if !errors.Is(err, chat.ErrTooLarge) {
		t.Errorf("2000 bytes over a 1024 limit = %v, want ErrTooLarge", err)
	}
	_, err = f.up.Create(ctx, alice, chat.NewUpload{Name: "c.png", Body: strings.NewReader("#!/bin/sh")})
	if !errors.Is(err, chat.ErrRejected) {
		t.Errorf("script = %v, want ErrRejected", err)
	}
	_, err = f.up.Create(ctx, alice, chat.NewUpload{Name: "d.txt", Body: strings.NewReader("one too many")})
	var rl *chat.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Errorf("fourth upload at once = %v, want a rate limit of 1s", err)
	}
	now = now.Add(time.Second)
	if _, err := f.up.Create(ctx, alice, chat.NewUpload{Name: "e.txt", Body: strings.NewReader("later")}); err != nil {
		t.Errorf("upload after the wait: %v", err)
	}
	want := []outcome{{"stored", 5}, {"too_large", 0}, {"rejected", 0}, {"rate_limited", 0}, {"stored", 5}}
	if len(got) != len(want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("outcome %d = %v, want %v", i, got[i], want[i])
		}
	}
	if files := f.files(t); len(files) != 2 {
		t.Errorf("blob directory holds %v, want the two stored files", files)
	}
}

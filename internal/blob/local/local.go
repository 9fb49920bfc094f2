// Package local is a chat.BlobStore in a local directory: the embedded
// default, for a single instance (several replicas need a shared store such
// as S3).
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Store keeps each object in a file under its root directory. Writes go to
// a temporary file that is renamed into place once complete, so a reader
// never sees half an object and a failed write leaves nothing behind.
type Store struct {
	root string
}

var _ chat.BlobStore = (*Store)(nil)

// New returns a Store in dir, creating it (mode 0700) if needed.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob/local: %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob/local: create %q: %w", abs, err)
	}
	return &Store{root: abs}, nil
}

// path maps a key to its file. Keys are chosen by the server, but are
// checked anyway so that no key can ever name a file outside the root.
func (s *Store) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return "", fmt.Errorf("blob/local: invalid key %q: %w", key, chat.ErrInvalid)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." || strings.HasPrefix(part, ".") {
			return "", fmt.Errorf("blob/local: invalid key %q: %w", key, chat.ErrInvalid)
		}
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put streams r into key through a fixed-size copy buffer.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, limit int64, _ string) (int64, error) {
	path, err := s.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	// The dot prefix keeps partial files out of the key space (path
	// refuses dotted names), so no key can name one.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".partial-*")
	if err != nil {
		return 0, fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	n, err := copyLimited(ctx, tmp, r, limit)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return 0, fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	return n, nil
}

// copyLimited copies r to w, failing with chat.ErrTooLarge as soon as r
// yields more than limit bytes, and honouring ctx between reads.
func copyLimited(ctx context.Context, w io.Writer, r io.Reader, limit int64) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := r.Read(buf)
		if k > 0 {
			if n+int64(k) > limit {
				return n, fmt.Errorf("more than %d bytes: %w", limit, chat.ErrTooLarge)
			}
			if _, err := w.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// Open returns the object's file.
func (s *Store) Open(_ context.Context, key string) (io.ReadCloser, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob/local: open %s: %w", key, chat.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob/local: open %s: %w", key, err)
	}
	return f, nil
}

// URL reports that a directory serves no URLs: callers stream Open's bytes.
func (s *Store) URL(context.Context, string, chat.DownloadHeaders, time.Duration) (string, bool, error) {
	return "", false, nil
}

// Delete removes objects; missing ones are skipped.
func (s *Store) Delete(_ context.Context, keys ...string) error {
	var errs []error
	for _, key := range keys {
		path, err := s.path(key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("blob/local: delete %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

package chat

import (
	"context"
	"io"
	"time"
)

// BlobStore keeps the bytes of uploads: a local directory or an
// S3-compatible bucket.
//
// Contract, proven for every implementation by package blob/blobtest:
//   - Keys are chosen by the domain (random ids); implementations never
//     derive paths or object names from anything else.
//   - Put streams r into key without holding the whole object in memory.
//     If r yields more than limit bytes, Put stops reading, removes what it
//     wrote and returns an error matching ErrTooLarge: nothing is left
//     behind. On any error nothing is stored under key. It returns the
//     number of bytes stored.
//   - Open returns the object's bytes; ErrNotFound for a missing key.
//   - URL returns a short-lived URL at which a browser can download the
//     object directly, with the given response headers, when the backend
//     serves objects itself (S3); ok is false when it does not (a local
//     directory), and the caller streams Open's bytes instead.
//   - Delete removes objects; missing keys are not an error.
//   - Methods are safe for concurrent use and honour ctx.
type BlobStore interface {
	Put(ctx context.Context, key string, r io.Reader, limit int64, contentType string) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	URL(ctx context.Context, key string, h DownloadHeaders, ttl time.Duration) (url string, ok bool, err error)
	Delete(ctx context.Context, keys ...string) error
}

// DownloadHeaders are the response headers a download is served with.
type DownloadHeaders struct {
	ContentType        string
	ContentDisposition string
}

// Scanner inspects an upload after its bytes are stored and before it is
// accepted (a virus scanner, say). Returning an error matching ErrRejected
// refuses the file, which is then deleted; any other error is a failure of
// the scanner and also refuses it.
type Scanner interface {
	Scan(ctx context.Context, u Upload, content func(ctx context.Context) (io.ReadCloser, error)) error
}

// AcceptAll is the default Scanner: it accepts every file.
type AcceptAll struct{}

// Scan implements Scanner.
func (AcceptAll) Scan(context.Context, Upload, func(context.Context) (io.ReadCloser, error)) error {
	return nil
}

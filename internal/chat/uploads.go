package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"time"
)

// Upload results reported to UploadConfig.Observe (the metric's labels).
const (
	UploadStored    = "stored"
	UploadTooLarge  = "too_large"
	UploadRejected  = "rejected"
	UploadFailed    = "error"
	UploadLimited   = "rate_limited"
	UploadOverQuota = "quota_exceeded"
)

// sniffBytes is how much of a file Classify sees.
const sniffBytes = 512

// DefaultUploadMaxBytes is the size limit when UploadConfig.MaxBytes is 0.
const DefaultUploadMaxBytes = 20 << 20

// defaultURLTTL is how long a presigned download URL stays valid: long
// enough for a browser to follow the redirect, short enough that a leaked
// URL is soon useless.
const defaultURLTTL = 2 * time.Minute

// UploadConfig is what Uploads is built from. Repo, Blobs and Classify are
// required.
type UploadConfig struct {
	Repo  UploadStore
	Blobs BlobStore
	// Classify decides a file's content type from its first 512 bytes
	// (fewer for a shorter file) and the client's file name, or refuses it
	// with an error; the client's own Content-Type claim is never used.
	Classify func(head []byte, name string) (string, error)
	Scanner  Scanner // nil: AcceptAll
	// PerMinute and Burst limit each user's uploads on this instance; 0:
	// no limit.
	PerMinute, Burst int
	MaxBytes         int64 // largest file; 0: DefaultUploadMaxBytes
	URLTTL           time.Duration
	Logger           *slog.Logger
	Now              func() time.Time
	// Observe, when set, is told the result of every upload and the bytes
	// it stored (0 unless the result is UploadStored).
	Observe func(result string, bytes int64)
	// QuotaFiles and QuotaBytes bound what one user may keep stored,
	// attached or not, counted from storage across all instances; 0: no
	// limit. An upload that would exceed either fails with an
	// *UploadQuotaError (ErrUploadQuota).
	QuotaFiles int
	QuotaBytes int64
	// Expired, when set, is told how many unattached uploads, and how many
	// bytes, an expiry sweep of this instance deleted (upload_expiry.go).
	Expired func(files int, bytes int64)
}

// Uploads stores users' files and serves them back to those allowed to
// see them. It also implements Eraser, so deleting sessions or a user
// deletes their files.
type Uploads struct {
	repo     UploadStore
	blobs    BlobStore
	classify func([]byte, string) (string, error)
	limiter  *rateLimiter
	scanner  Scanner
	max      int64
	ttl      time.Duration
	log      *slog.Logger
	now      func() time.Time
	observe  func(string, int64)
	quota    quota
	expired  func(int, int64)
}

var _ Eraser = (*Uploads)(nil)

// NewUploads checks cfg and builds Uploads.
func NewUploads(cfg UploadConfig) (*Uploads, error) {
	if cfg.Repo == nil || cfg.Blobs == nil || cfg.Classify == nil {
		return nil, errors.New("chat: uploads need a repository, a blob store and a classifier")
	}
	u := &Uploads{
		repo: cfg.Repo, blobs: cfg.Blobs, classify: cfg.Classify, scanner: cfg.Scanner, max: cfg.MaxBytes,
		ttl: cfg.URLTTL, log: cfg.Logger, now: cfg.Now, observe: cfg.Observe,
		quota: quota{files: cfg.QuotaFiles, bytes: cfg.QuotaBytes}, expired: cfg.Expired,
	}
	if cfg.QuotaFiles < 0 || cfg.QuotaBytes < 0 {
		return nil, errors.New("chat: upload quotas must not be negative")
	}
	if u.scanner == nil {
		u.scanner = AcceptAll{}
	}
	if u.max <= 0 {
		u.max = DefaultUploadMaxBytes
	}
	if u.ttl <= 0 {
		u.ttl = defaultURLTTL
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.now == nil {
		u.now = time.Now
	}
	if u.observe == nil {
		u.observe = func(string, int64) {}
	}
	if u.expired == nil {
		u.expired = func(int, int64) {}
	}
	if cfg.PerMinute > 0 {
		u.limiter = newRateLimiter(cfg.PerMinute, max(cfg.Burst, 1))
	}
	return u, nil
}

// MaxBytes is the largest file Create accepts.
func (u *Uploads) MaxBytes() int64 { return u.max }

// NewUpload is a file being uploaded.
type NewUpload struct {
	Name string    // as the client named it; only displayed, after SanitizeName
	Body io.Reader // streamed, never held whole in memory
}

// Create decides the file's type from its first bytes, streams it into the
// blob store under a fresh random key, lets the Scanner inspect it and
// records it as the actor's. A file over the size limit fails with
// ErrTooLarge, a refused one with ErrRejected, an upload over the user's
// rate with a *RateLimitedError; in every failure nothing is left stored.
func (u *Uploads) Create(ctx context.Context, actor Actor, in NewUpload) (Upload, error) {
	if u.limiter != nil {
		if ok, wait := u.limiter.allow(actor.ID, u.now()); !ok {
			u.observe(UploadLimited, 0)
			return Upload{}, &RateLimitedError{RetryAfter: wait}
		}
	}
	rec, err := u.create(ctx, actor, in)
	switch {
	case err == nil:
		u.observe(UploadStored, rec.Size)
	case errors.Is(err, ErrTooLarge):
		u.observe(UploadTooLarge, 0)
	case errors.Is(err, ErrRejected):
		u.observe(UploadRejected, 0)
	case errors.Is(err, ErrUploadQuota):
		u.observe(UploadOverQuota, 0)
	default:
		u.observe(UploadFailed, 0)
	}
	return rec, err
}

func (u *Uploads) create(ctx context.Context, actor Actor, in NewUpload) (Upload, error) {
	limit, err := u.quota.room(ctx, u.repo, actor.ID, u.max)
	if err != nil {
		return Upload{}, fmt.Errorf("upload: %w", err)
	}
	head := make([]byte, sniffBytes)
	k, err := io.ReadFull(in.Body, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Upload{}, fmt.Errorf("upload: read: %w", err)
	}
	head = head[:k]
	name := SanitizeName(in.Name)
	contentType, err := u.classify(head, name)
	if err != nil {
		return Upload{}, fmt.Errorf("upload %q: %w: %w", name, ErrRejected, err)
	}
	id := newID()
	rec := Upload{
		ID: id, OwnerID: actor.ID, Name: name, ContentType: contentType,
		Key: "uploads/" + id, CreatedAt: Millis(u.now()),
	}
	body := io.MultiReader(bytes.NewReader(head), in.Body)
	n, err := u.blobs.Put(ctx, rec.Key, body, limit, rec.ContentType)
	if errors.Is(err, ErrTooLarge) && limit < u.max {
		// Within the size limit, but not within what the quota leaves.
		return Upload{}, fmt.Errorf("upload %s: %w", id, u.quota.exceeded(UploadUsage{Bytes: u.quota.bytes - limit}))
	}
	if err != nil {
		return Upload{}, fmt.Errorf("upload %s: store bytes: %w", id, err)
	}
	rec.Size = n
	if err := u.scanner.Scan(ctx, rec, func(ctx context.Context) (io.ReadCloser, error) {
		return u.blobs.Open(ctx, rec.Key)
	}); err != nil {
		u.discard(rec)
		if errors.Is(err, ErrRejected) {
			return Upload{}, fmt.Errorf("upload %s: %w", id, err)
		}
		return Upload{}, fmt.Errorf("upload %s: scanner: %w: %w", id, ErrRejected, err)
	}
	if err := u.repo.SaveUpload(ctx, rec); err != nil {
		u.discard(rec)
		return Upload{}, fmt.Errorf("upload %s: save record: %w", id, err)
	}
	if err := u.quota.recheck(ctx, u.repo, actor.ID); err != nil {
		u.withdraw(rec)
		return Upload{}, fmt.Errorf("upload %s: %w", id, err)
	}
	return rec, nil
}

// withdraw removes an upload recorded and then refused (over the quota
// together with uploads racing it): record first, so it cannot be attached
// meanwhile, then bytes. It runs on its own context, like discard.
func (u *Uploads) withdraw(rec Upload) {
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	if err := u.repo.DeleteUploads(ctx, []string{rec.ID}); err != nil {
		u.log.Warn("could not delete the record of an upload over the quota", "file_id", rec.ID, "err", err)
		return
	}
	u.discard(rec)
}

// discard removes the bytes of an upload that was not accepted. It runs on
// its own context: the request's may be the reason the upload failed.
func (u *Uploads) discard(rec Upload) {
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	if err := u.blobs.Delete(ctx, rec.Key); err != nil {
		u.log.Warn("could not delete a refused upload's bytes", "file_id", rec.ID, "err", err)
	}
}

// Download is how to serve an upload: either redirect to URL, or stream
// Body (which the caller closes) with Headers.
type Download struct {
	Upload  Upload
	Headers DownloadHeaders
	URL     string
	Body    io.ReadCloser
}

// Download returns an upload for the actor: its uploader and admins may
// fetch it; anyone else gets ErrNotFound, as for a file that does not
// exist. (Only a session's user can attach files to it, so the uploader is
// also the owner of the session it was sent in.)
func (u *Uploads) Download(ctx context.Context, actor Actor, id string) (Download, error) {
	rec, err := u.repo.GetUpload(ctx, id)
	if err != nil {
		return Download{}, fmt.Errorf("get upload %s: %w", id, err)
	}
	if rec.OwnerID != actor.ID && !actor.Admin {
		return Download{}, fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	d := Download{Upload: rec, Headers: DownloadHeaders{
		ContentType:        rec.ContentType,
		ContentDisposition: disposition(rec),
	}}
	url, ok, err := u.blobs.URL(ctx, rec.Key, d.Headers, u.ttl)
	if err != nil {
		return Download{}, fmt.Errorf("upload %s: download url: %w", id, err)
	}
	if ok {
		d.URL = url
		return d, nil
	}
	if d.Body, err = u.blobs.Open(ctx, rec.Key); err != nil {
		return Download{}, fmt.Errorf("upload %s: open: %w", id, err)
	}
	return d, nil
}

// disposition shows safe images inline and makes everything else a
// download, so a browser never renders a stored file as a page.
func disposition(rec Upload) string {
	kind := "attachment"
	if IsSafeImage(rec.ContentType) {
		kind = "inline"
	}
	if v := mime.FormatMediaType(kind, map[string]string{"filename": rec.Name}); v != "" {
		return v
	}
	return kind
}

// EraseSessions implements Eraser: it deletes the files attached in the
// sessions, bytes first, then their records, so a failure is retried.
func (u *Uploads) EraseSessions(ctx context.Context, sessionIDs []string) error {
	for _, id := range sessionIDs {
		recs, err := u.repo.ListSessionUploads(ctx, id)
		if err != nil {
			return fmt.Errorf("erase uploads of session %s: %w", id, err)
		}
		if err := u.erase(ctx, recs); err != nil {
			return fmt.Errorf("erase uploads of session %s: %w", id, err)
		}
	}
	return nil
}

// EraseUser implements Eraser: it deletes every file the user uploaded.
func (u *Uploads) EraseUser(ctx context.Context, userID string) error {
	recs, err := u.repo.ListUserUploads(ctx, userID)
	if err != nil {
		return fmt.Errorf("erase uploads of user %s: %w", userID, err)
	}
	if err := u.erase(ctx, recs); err != nil {
		return fmt.Errorf("erase uploads of user %s: %w", userID, err)
	}
	return nil
}

func (u *Uploads) erase(ctx context.Context, recs []Upload) error {
	if len(recs) == 0 {
		return nil
	}
	keys := make([]string, len(recs))
	ids := make([]string, len(recs))
	for i, r := range recs {
		keys[i], ids[i] = r.Key, r.ID
	}
	if err := u.blobs.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("delete bytes: %w", err)
	}
	if err := u.repo.DeleteUploads(ctx, ids); err != nil {
		return fmt.Errorf("delete records: %w", err)
	}
	return nil
}

// Content opens the bytes of an upload for the assistant (images sent to a
// model). It does no access check: callers pass uploads of the session
// being answered.
func (u *Uploads) Content(ctx context.Context, rec Upload) (io.ReadCloser, error) {
	rc, err := u.blobs.Open(ctx, rec.Key)
	if err != nil {
		return nil, fmt.Errorf("open upload %s: %w", rec.ID, err)
	}
	return rc, nil
}

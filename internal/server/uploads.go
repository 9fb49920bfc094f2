package server

import (
	"context"
	"fmt"
	"time"

	"github.com/chatboxhq/chatbox/internal/blob"
	"github.com/chatboxhq/chatbox/internal/blob/local"
	s3blob "github.com/chatboxhq/chatbox/internal/blob/s3"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/filetype"
)

// blobCheckTimeout bounds the start-up probe of the upload storage.
const blobCheckTimeout = 5 * time.Second

// openUploads builds file attachments on the chat repository: bytes in the
// S3 bucket when S3_BUCKET is set, in UPLOAD_DIR otherwise. The storage is
// probed at start (write, read back, delete a small object) and by the
// readiness check "blob": a missing bucket, wrong credentials or a
// placeholder setting are reported at once, in one start-up line, not
// discovered by the first user who uploads a file.
func (a *App) openUploads(ctx context.Context) error {
	cfg := a.cfg.Uploads
	var (
		blobs   chat.BlobStore
		backend string
		attrs   []any
	)
	if cfg.S3Bucket != "" {
		store, err := s3blob.New(s3blob.Config{
			Bucket: cfg.S3Bucket, Region: cfg.S3Region, Endpoint: cfg.S3Endpoint, UsePathStyle: cfg.S3UsePathStyle,
			AccessKeyID: cfg.S3AccessKeyID, SecretAccessKey: cfg.S3SecretKey,
		})
		if err != nil {
			return fmt.Errorf("S3_BUCKET: %w", err)
		}
		blobs, backend = store, "s3"
		attrs = []any{"bucket", cfg.S3Bucket, "region", cfg.S3Region, "endpoint", config.RedactURL(cfg.S3Endpoint)}
	} else {
		store, err := local.New(cfg.Dir)
		if err != nil {
			return fmt.Errorf("UPLOAD_DIR: %w", err)
		}
		blobs, backend = store, "local"
		attrs = []any{"dir", cfg.Dir}
		if a.cfg.Production() {
			a.log.Warn("uploads are kept in a local directory: with more than one replica set S3_BUCKET, or files uploaded on one pod are missing on the others")
		}
	}
	// An unusable store does not stop the chat: uploads fail (and are
	// counted), and readiness says why, until it works.
	a.blobProbe = blob.NewProber(blobs, blob.ProbeOptions{Backend: backend, Logger: a.log})
	probeCtx, cancel := context.WithTimeout(ctx, blobCheckTimeout)
	cause := a.blobProbe.Probe(probeCtx)
	cancel()
	attrs = append([]any{"backend", backend}, attrs...)
	if cause != nil {
		a.log.Error("upload storage UNUSABLE: uploads fail and readiness check \"blob\" fails until it works; check S3_BUCKET, S3_REGION, S3_ENDPOINT and the bucket's credentials (or UPLOAD_DIR)",
			append(attrs, "err", cause)...)
	} else {
		a.log.Info("upload storage ready", append(attrs, "max_bytes", cfg.MaxBytes)...)
	}
	var err error
	a.uploads, err = chat.NewUploads(chat.UploadConfig{
		Repo: a.repo, Blobs: blobs, Classify: filetype.Classify,
		MaxBytes: cfg.MaxBytes, PerMinute: cfg.PerMinute, Burst: cfg.Burst,
		Logger: a.log,
		Observe: func(result string, bytes int64) {
			a.metrics.Uploads.WithLabelValues(result).Inc()
			a.metrics.UploadBytes.Add(float64(bytes))
		},
		QuotaFiles: cfg.QuotaFiles, QuotaBytes: cfg.QuotaBytes,
		Expired: func(files int, bytes int64) {
			a.metrics.UploadsExpired.Add(float64(files))
			a.metrics.UploadBytesExpired.Add(float64(bytes))
		},
	})
	if err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	return nil
}

package server

import (
	"context"
	"fmt"
	"time"

	"github.com/chatboxhq/chatbox/internal/blob/local"
	s3blob "github.com/chatboxhq/chatbox/internal/blob/s3"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/filetype"
)

// bucketCheckTimeout bounds the start-up check that the bucket answers.
const bucketCheckTimeout = 5 * time.Second

// openUploads builds file attachments on the chat repository: bytes in the
// S3 bucket when S3_BUCKET is set, in UPLOAD_DIR otherwise.
func (a *App) openUploads(ctx context.Context) error {
	cfg := a.cfg.Uploads
	var blobs chat.BlobStore
	if cfg.S3Bucket != "" {
		store, err := s3blob.New(s3blob.Config{
			Bucket: cfg.S3Bucket, Region: cfg.S3Region, Endpoint: cfg.S3Endpoint, UsePathStyle: cfg.S3UsePathStyle,
			AccessKeyID: cfg.S3AccessKeyID, SecretAccessKey: cfg.S3SecretKey,
		})
		if err != nil {
			return fmt.Errorf("S3_BUCKET: %w", err)
		}
		// An unreachable bucket does not stop the chat: uploads fail (and
		// are counted) until it answers.
		pingCtx, cancel := context.WithTimeout(ctx, bucketCheckTimeout)
		if err := store.Ping(pingCtx); err != nil {
			a.log.Warn("upload bucket not reachable; uploads fail until it is", "bucket", cfg.S3Bucket, "err", err)
		}
		cancel()
		blobs = store
		a.log.Info("upload storage ready", "backend", "s3", "bucket", cfg.S3Bucket, "endpoint", config.RedactURL(cfg.S3Endpoint),
			"max_bytes", cfg.MaxBytes)
	} else {
		store, err := local.New(cfg.Dir)
		if err != nil {
			return fmt.Errorf("UPLOAD_DIR: %w", err)
		}
		blobs = store
		a.log.Info("upload storage ready", "backend", "local", "dir", cfg.Dir, "max_bytes", cfg.MaxBytes)
		if a.cfg.Production() {
			a.log.Warn("uploads are kept in a local directory: with more than one replica set S3_BUCKET, or files uploaded on one pod are missing on the others")
		}
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

package chat

import (
	"context"
	"errors"
	"fmt"
)

// ErrUploadQuota marks an upload refused because the user's stored files
// would exceed their quota (UploadConfig.QuotaFiles, QuotaBytes).
var ErrUploadQuota = errors.New("upload quota used up")

// UploadQuotaError says which part of the quota an upload would exceed.
type UploadQuotaError struct {
	Files, MaxFiles int   // stored files, and the limit (0: none)
	Bytes, MaxBytes int64 // stored bytes, and the limit (0: none)
}

func (e *UploadQuotaError) Error() string {
	return fmt.Sprintf("%v: %d of %d files, %d of %d bytes stored", ErrUploadQuota, e.Files, e.MaxFiles, e.Bytes, e.MaxBytes)
}

// Unwrap lets errors.Is(err, ErrUploadQuota) match.
func (e *UploadQuotaError) Unwrap() error { return ErrUploadQuota }

// quota bounds what one user may keep stored, attached or not, counted
// from storage so that every instance sees the same total.
type quota struct {
	files int   // 0: no limit
	bytes int64 // 0: no limit
}

func (q quota) on() bool { return q.files > 0 || q.bytes > 0 }

// room checks, before an upload, that the user may store one more file,
// and returns the largest size it may have: limit, or less when the byte
// quota has less left.
func (q quota) room(ctx context.Context, repo UploadStore, ownerID string, limit int64) (int64, error) {
	if !q.on() {
		return limit, nil
	}
	used, err := repo.UploadUsage(ctx, ownerID)
	if err != nil {
		return 0, fmt.Errorf("read upload usage: %w", err)
	}
	if (q.files > 0 && used.Files >= q.files) || (q.bytes > 0 && used.Bytes >= q.bytes) {
		return 0, q.exceeded(used)
	}
	if q.bytes > 0 {
		limit = min(limit, q.bytes-used.Bytes)
	}
	return limit, nil
}

// recheck runs after an upload is recorded: uploads racing on several
// instances may each have passed room, and together gone over. Then each
// of them that sees the excess withdraws itself, so the quota holds at
// the price of refusing, rarely, an upload that would have fitted alone.
func (q quota) recheck(ctx context.Context, repo UploadStore, ownerID string) error {
	if !q.on() {
		return nil
	}
	used, err := repo.UploadUsage(ctx, ownerID)
	if err != nil {
		return fmt.Errorf("read upload usage: %w", err)
	}
	if (q.files > 0 && used.Files > q.files) || (q.bytes > 0 && used.Bytes > q.bytes) {
		return q.exceeded(used)
	}
	return nil
}

func (q quota) exceeded(used UploadUsage) error {
	return &UploadQuotaError{Files: used.Files, MaxFiles: q.files, Bytes: used.Bytes, MaxBytes: q.bytes}
}

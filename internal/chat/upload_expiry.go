package chat

import (
	"context"
	"fmt"
	"time"
)

// DefaultUnattachedUploadTTL is how long an upload may wait to be sent in
// a message before the lifecycle sweep deletes it, unless configured.
const DefaultUnattachedUploadTTL = 24 * time.Hour

// ExpireUnattached deletes up to limit uploads that were never attached to
// a message and were created before cutoff, and returns how many this call
// deleted. It is safe to run on every instance at once: storage decides,
// upload by upload, which caller deletes it (DeleteUnattached), and only
// that one deletes the bytes and counts it, so an upload is counted once.
//
// The record goes first, so the upload can no longer be attached, then the
// bytes. If the bytes cannot be deleted, the record is put back, so the
// next sweep tries again instead of leaving bytes nothing refers to.
func (u *Uploads) ExpireUnattached(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	stale, err := u.repo.UnattachedBefore(ctx, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("expire unattached uploads: %w", err)
	}
	files, bytes := 0, int64(0)
	defer func() {
		if files > 0 {
			u.expired(files, bytes)
		}
	}()
	for _, rec := range stale {
		mine, err := u.repo.DeleteUnattached(ctx, rec.ID)
		if err != nil {
			return files, fmt.Errorf("expire upload %s: %w", rec.ID, err)
		}
		if !mine {
			continue // attached meanwhile, or another instance expired it
		}
		if err := u.blobs.Delete(ctx, rec.Key); err != nil {
			if serr := u.repo.SaveUpload(context.WithoutCancel(ctx), rec); serr != nil {
				u.log.Error("expired upload's bytes kept without a record", "file_id", rec.ID, "err", serr)
			}
			return files, fmt.Errorf("expire upload %s: delete bytes: %w", rec.ID, err)
		}
		files++
		bytes += rec.Size
	}
	return files, nil
}

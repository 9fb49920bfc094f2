package chat

import (
	"context"
	"errors"
	"time"
)

// Upload is a file a user uploaded to attach to their messages. Its bytes
// live in a BlobStore under Key; this record says whose it is and where it
// was sent.
type Upload struct {
	ID          string // public file id (file_id)
	OwnerID     string // the uploading user; only they may attach it
	SessionID   string // "" until the upload is attached to a message
	MessageID   string // "" until attached
	Name        string // display name, sanitized; never part of Key
	Size        int64  // bytes stored
	ContentType string // decided by content sniffing, never by the client
	Key         string // object key in the BlobStore: random, server-chosen
	CreatedAt   time.Time
}

// Attached reports whether the upload has been sent in a message.
func (u Upload) Attached() bool { return u.MessageID != "" }

// Attachment is what a message says about one attached upload.
type Attachment struct {
	ID          string
	Name        string
	Size        int64
	ContentType string
}

// Attachment returns the upload as a message shows it.
func (u Upload) Attachment() Attachment {
	return Attachment{ID: u.ID, Name: u.Name, Size: u.Size, ContentType: u.ContentType}
}

// IsImage reports whether the attachment is an image a model may look at.
func (a Attachment) IsImage() bool { return IsSafeImage(a.ContentType) }

// IsSafeImage reports whether contentType is an image browsers render
// without running anything in it (so it may be served inline): PNG, JPEG,
// GIF and WebP. SVG is not: it can carry scripts.
func IsSafeImage(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// ErrAttachment marks a message naming an attachment it may not use: not
// the sender's upload, unknown, or already sent in another message. It is
// always wrapped together with ErrInvalid.
var ErrAttachment = errors.New("attachment not usable")

// ErrRejected marks an upload the content check or the Scanner refused.
var ErrRejected = errors.New("file type not allowed")

// MaxAttachments is the most files one message may carry.
const MaxAttachments = 10

// UploadStore keeps upload records. It is part of Repository.
//
// Contract, proven for every adapter by repotest (Uploads):
//   - SaveUpload stores a new record exactly as given; an existing ID is
//     ErrConflict and changes nothing.
//   - GetUpload returns the record or ErrNotFound.
//   - AttachUploads binds the uploads ids to one message: each must be
//     owned by ownerID and either unattached or attached to this very
//     message (a retried send). All or none are attached; otherwise it
//     fails with ErrAttachment (wrapped) and changes nothing. It returns
//     the records in the order of ids. Attaching the same ids to the same
//     message again is a no-op that succeeds.
//   - ListSessionUploads returns the uploads attached in a session, oldest
//     first (ties by ID); ListUserUploads every upload of a user, attached
//     or not, in the same order. Unknown ids yield empty slices.
//   - DeleteUploads removes records by ID; unknown ids are skipped.
//   - UploadUsage sums a user's stored uploads, attached or not (zero for
//     an unknown user): what the per-user quota counts, the same on every
//     instance.
//   - UnattachedBefore returns up to limit uploads never attached whose
//     CreatedAt is before cutoff, oldest first (ties by ID).
//   - DeleteUnattached deletes upload id's record only if it is still
//     unattached, and reports whether this call deleted it: of concurrent
//     calls on any handles at most one gets true, and none once the upload
//     is attached (an attach after it fails with ErrAttachment). An
//     unknown id is (false, nil).
//   - Times round-trip at millisecond precision in UTC; methods honour ctx.
type UploadStore interface {
	SaveUpload(ctx context.Context, u Upload) error
	GetUpload(ctx context.Context, id string) (Upload, error)
	AttachUploads(ctx context.Context, ownerID, sessionID, messageID string, ids []string) ([]Upload, error)
	ListSessionUploads(ctx context.Context, sessionID string) ([]Upload, error)
	ListUserUploads(ctx context.Context, ownerID string) ([]Upload, error)
	DeleteUploads(ctx context.Context, ids []string) error
	UploadUsage(ctx context.Context, ownerID string) (UploadUsage, error)
	UnattachedBefore(ctx context.Context, cutoff time.Time, limit int) ([]Upload, error)
	DeleteUnattached(ctx context.Context, id string) (bool, error)
}

// UploadUsage is what a user's stored uploads add up to.
type UploadUsage struct {
	Files int
	Bytes int64
}

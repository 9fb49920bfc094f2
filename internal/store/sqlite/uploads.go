package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/chat"
)

const uploadColumns = `id, owner_id, session_id, message_id, name, size, content_type, object_key, created_at`

const (
	insertUploadQuery = `INSERT INTO uploads (` + uploadColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	getUploadQuery = `SELECT ` + uploadColumns + ` FROM uploads WHERE id = ?`
	// attachUploadQuery binds one upload to a message if it is the owner's
	// and free, or bound to this message already (a retry).
	attachUploadQuery = `UPDATE uploads SET session_id = ?, message_id = ?
		WHERE id = ? AND owner_id = ? AND (message_id = '' OR (message_id = ? AND session_id = ?))`
	// The session_id term repeats the partial index's condition so SQLite
	// can use it.
	sessionUploadsQuery = `SELECT ` + uploadColumns + ` FROM uploads
		WHERE session_id = ? AND session_id <> '' ORDER BY created_at, id`
	userUploadsQuery = `SELECT ` + uploadColumns + ` FROM uploads WHERE owner_id = ? ORDER BY created_at, id`
)

func scanUpload(r rowScanner) (chat.Upload, error) {
	var (
		u       chat.Upload
		created int64
	)
	if err := r.Scan(&u.ID, &u.OwnerID, &u.SessionID, &u.MessageID, &u.Name, &u.Size,
		&u.ContentType, &u.Key, &created); err != nil {
		return chat.Upload{}, err
	}
	u.CreatedAt = fromMillis(created)
	return u, nil
}

// SaveUpload stores a new upload record; an existing id (or object key) is
// chat.ErrConflict.
func (s *Store) SaveUpload(ctx context.Context, u chat.Upload) error {
	if u.ID == "" || u.Key == "" {
		return fmt.Errorf("sqlite: save upload: id and key are required: %w", chat.ErrInvalid)
	}
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		r, err := tx.ExecContext(ctx, insertUploadQuery, u.ID, u.OwnerID, u.SessionID, u.MessageID,
			u.Name, u.Size, u.ContentType, u.Key, toMillis(u.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("upload %q exists: %w", u.ID, chat.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: save upload: %w", err)
	}
	return nil
}

// GetUpload returns an upload record or chat.ErrNotFound.
func (s *Store) GetUpload(ctx context.Context, id string) (chat.Upload, error) {
	u, err := scanUpload(s.read.QueryRowContext(ctx, getUploadQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Upload{}, fmt.Errorf("sqlite: get upload %q: %w", id, chat.ErrNotFound)
	}
	if err != nil {
		return chat.Upload{}, fmt.Errorf("sqlite: get upload %q: %w", id, err)
	}
	return u, nil
}

// AttachUploads binds the uploads to a message, all or none, in one write
// transaction.
func (s *Store) AttachUploads(ctx context.Context, ownerID, sessionID, messageID string, ids []string) ([]chat.Upload, error) {
	if sessionID == "" || messageID == "" {
		return nil, fmt.Errorf("sqlite: attach uploads: session and message ids are required: %w", chat.ErrInvalid)
	}
	out := make([]chat.Upload, 0, len(ids))
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		for _, id := range ids {
			r, err := tx.ExecContext(ctx, attachUploadQuery, sessionID, messageID, id, ownerID, messageID, sessionID)
			if err != nil {
				return err
			}
			if n, err := r.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%w: %w: file %s is not the sender's or was sent in another message", chat.ErrInvalid, chat.ErrAttachment, id)
			}
			u, err := scanUpload(tx.QueryRowContext(ctx, getUploadQuery, id))
			if err != nil {
				return fmt.Errorf("read upload %q: %w", id, err)
			}
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: attach uploads: %w", err)
	}
	return out, nil
}

// ListSessionUploads returns the uploads attached in a session.
func (s *Store) ListSessionUploads(ctx context.Context, sessionID string) ([]chat.Upload, error) {
	out, err := s.listUploads(ctx, sessionUploadsQuery, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list uploads of session %q: %w", sessionID, err)
	}
	return out, nil
}

// ListUserUploads returns every upload of a user.
func (s *Store) ListUserUploads(ctx context.Context, ownerID string) ([]chat.Upload, error) {
	out, err := s.listUploads(ctx, userUploadsQuery, ownerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list uploads of user %q: %w", ownerID, err)
	}
	return out, nil
}

func (s *Store) listUploads(ctx context.Context, query, arg string) ([]chat.Upload, error) {
	out := []chat.Upload{}
	if arg == "" {
		return out, nil
	}
	rows, err := s.read.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUploads removes upload records; unknown ids are skipped.
func (s *Store) DeleteUploads(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	query := `DELETE FROM uploads WHERE id IN (` + placeholders(len(ids)) + `)`
	if _, err := s.eraseRows(ctx, query, anys(ids)...); err != nil {
		return fmt.Errorf("sqlite: delete uploads: %w", err)
	}
	return nil
}

package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

const (
	// uploadUsageQuery reads through the uploads_by_owner index.
	uploadUsageQuery = `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM uploads WHERE owner_id = ?`
	// unattachedBeforeQuery scans the uploads table: fine for the
	// one-instance deployments SQLite serves, and it runs once per sweep.
	unattachedBeforeQuery = `SELECT ` + uploadColumns + ` FROM uploads
		WHERE message_id = '' AND created_at < ? ORDER BY created_at, id LIMIT ?`
	deleteUnattachedQuery = `DELETE FROM uploads WHERE id = ? AND message_id = ''`
)

// UploadUsage sums a user's stored uploads, attached or not.
func (s *Store) UploadUsage(ctx context.Context, ownerID string) (chat.UploadUsage, error) {
	var u chat.UploadUsage
	if err := s.read.QueryRowContext(ctx, uploadUsageQuery, ownerID).Scan(&u.Files, &u.Bytes); err != nil {
		return chat.UploadUsage{}, fmt.Errorf("sqlite: upload usage of user %q: %w", ownerID, err)
	}
	return u, nil
}

// UnattachedBefore returns up to limit never attached uploads created
// before cutoff, oldest first.
func (s *Store) UnattachedBefore(ctx context.Context, cutoff time.Time, limit int) ([]chat.Upload, error) {
	out := []chat.Upload{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := s.read.QueryContext(ctx, unattachedBeforeQuery, toMillis(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: unattached uploads before %s: %w", cutoff, err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: unattached uploads before %s: %w", cutoff, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: unattached uploads before %s: %w", cutoff, err)
	}
	return out, nil
}

// DeleteUnattached deletes an upload's record if it is still unattached;
// the write lock makes exactly one of concurrent callers see the row go.
// Nothing of it stays in the file (erase.go).
func (s *Store) DeleteUnattached(ctx context.Context, id string) (bool, error) {
	deleted, err := s.eraseRows(ctx, deleteUnattachedQuery, id)
	if err != nil {
		return false, fmt.Errorf("sqlite: delete unattached upload %q: %w", id, err)
	}
	return deleted > 0, nil
}

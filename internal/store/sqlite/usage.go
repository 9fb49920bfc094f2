package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

const (
	sessionUserQuery = `SELECT user_id FROM sessions WHERE id = ?`
	addSessionUsage  = `INSERT INTO session_usage (session_id, tokens_in, tokens_out) VALUES (?, ?, ?)
		ON CONFLICT (session_id) DO UPDATE SET
			tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out`
	addUserUsage = `INSERT INTO user_usage (user_id, day, tokens_in, tokens_out) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, day) DO UPDATE SET
			tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out`
	sessionUsageQuery  = `SELECT tokens_in, tokens_out FROM session_usage WHERE session_id = ?`
	userUsageQuery     = `SELECT tokens_in, tokens_out FROM user_usage WHERE user_id = ? AND day = ?`
	conversationsQuery = `SELECT conversations FROM session_usage WHERE session_id = ?`
	setConversations   = `INSERT INTO session_usage (session_id, conversations) VALUES (?, ?)
		ON CONFLICT (session_id) DO UPDATE SET conversations = excluded.conversations`
)

// RecordUsage adds u to the session's and its user's daily totals in one
// transaction.
func (s *Store) RecordUsage(ctx context.Context, sessionID string, u chat.Usage, at time.Time) error {
	if u.InputTokens < 0 || u.OutputTokens < 0 {
		return fmt.Errorf("sqlite: record usage: negative tokens: %w", chat.ErrInvalid)
	}
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		userID, err := sessionUser(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, addSessionUsage, sessionID, u.InputTokens, u.OutputTokens); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, addUserUsage, userID, chat.UsageDay(at), u.InputTokens, u.OutputTokens)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: record usage: %w", err)
	}
	return nil
}

// SessionUsage returns the session's token totals.
func (s *Store) SessionUsage(ctx context.Context, sessionID string) (chat.Usage, error) {
	u, err := s.usage(ctx, sessionUsageQuery, sessionID)
	if err != nil {
		return chat.Usage{}, fmt.Errorf("sqlite: session usage: %w", err)
	}
	return u, nil
}

// UserUsage returns the user's token totals for the UTC day of at.
func (s *Store) UserUsage(ctx context.Context, userID string, at time.Time) (chat.Usage, error) {
	u, err := s.usage(ctx, userUsageQuery, userID, chat.UsageDay(at))
	if err != nil {
		return chat.Usage{}, fmt.Errorf("sqlite: user usage: %w", err)
	}
	return u, nil
}

func (s *Store) usage(ctx context.Context, query string, args ...any) (chat.Usage, error) {
	var u chat.Usage
	err := s.read.QueryRowContext(ctx, query, args...).Scan(&u.InputTokens, &u.OutputTokens)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Usage{}, nil
	}
	return u, err
}

// ConversationIDs returns the provider conversation ids of a session.
func (s *Store) ConversationIDs(ctx context.Context, sessionID string) (map[string]string, error) {
	if _, err := getSession(ctx, s.read, sessionID); err != nil {
		return nil, fmt.Errorf("sqlite: conversation ids: %w", err)
	}
	ids, err := conversations(ctx, s.read, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: conversation ids: %w", err)
	}
	return ids, nil
}

// SetConversationIDs merges ids into the session's conversation ids. The
// read and the write share the write transaction, so concurrent merges
// for different providers both survive.
func (s *Store) SetConversationIDs(ctx context.Context, sessionID string, ids map[string]string) error {
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		if _, err := sessionUser(ctx, tx, sessionID); err != nil {
			return err
		}
		stored, err := conversations(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		maps.Copy(stored, ids)
		doc, err := json.Marshal(stored)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, setConversations, sessionID, string(doc))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: set conversation ids: %w", err)
	}
	return nil
}

func sessionUser(ctx context.Context, q querier, sessionID string) (string, error) {
	var userID string
	err := q.QueryRowContext(ctx, sessionUserQuery, sessionID).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("session %q: %w", sessionID, chat.ErrNotFound)
	}
	return userID, err
}

func conversations(ctx context.Context, q querier, sessionID string) (map[string]string, error) {
	var doc string
	err := q.QueryRowContext(ctx, conversationsQuery, sessionID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	if err := json.Unmarshal([]byte(doc), &ids); err != nil {
		return nil, fmt.Errorf("decode conversation ids: %w", err)
	}
	return ids, nil
}

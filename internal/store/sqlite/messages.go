package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// messageColumns is the column list every message query selects, in the
// order scanMessage reads.
const messageColumns = `id, session_id, seq, client_msg_id, author_id, sender, sender_name,
	reply_to, model_id, interrupted, tokens_in, tokens_out, created_at, content`

// dupQuery finds a message by its idempotency key. Its last term, "client id
// not empty", repeats the partial index's condition: SQLite uses a partial
// index only when the query's WHERE implies the index's, and
// "client_msg_id = ?" with a parameter does not; without the term every
// append would scan the table.
const dupQuery = `SELECT ` + messageColumns + ` FROM messages
	WHERE author_id = ? AND client_msg_id = ? AND client_msg_id <> ''`

// advanceSeqQuery takes the next seq of an active session, moving its
// UpdatedAt forward to the message's time, and returns the session.
const advanceSeqQuery = `UPDATE sessions
	SET last_seq = last_seq + 1, updated_at = max(updated_at, ?)
	WHERE id = ? AND status = 'active'
	RETURNING ` + sessionColumns

// insertMessageQuery stores a message. A clash of message ids does nothing,
// which the caller detects from the affected row count.
const insertMessageQuery = `INSERT INTO messages (` + messageColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// listMessagesQuery reads a session's messages after a seq, in the order of
// the index messages_by_session_seq.
const listMessagesQuery = `SELECT ` + messageColumns + ` FROM messages
	WHERE session_id = ? AND seq > ?
	ORDER BY seq
	LIMIT ?`

func scanMessage(r rowScanner) (chat.SealedMessage, error) {
	var (
		m       chat.SealedMessage
		sender  string
		created int64
	)
	err := r.Scan(&m.ID, &m.SessionID, &m.Seq, &m.ClientMsgID, &m.AuthorID, &sender, &m.SenderName,
		&m.ReplyTo, &m.ModelID, &m.Interrupted, &m.TokensIn, &m.TokensOut, &created, &m.Sealed)
	if err != nil {
		return chat.SealedMessage{}, err
	}
	m.Sender = chat.Sender(sender)
	m.CreatedAt = fromMillis(created)
	if m.Sealed == nil {
		m.Sealed = []byte{} // an empty BLOB scans as nil; content is never NULL
	}
	return m, nil
}

// AppendMessage stores m as the next message of its session. In one write
// transaction, which holds the database write lock throughout, it looks for
// a stored message with m's (AuthorID, ClientMsgID), then advances the
// session's LastSeq and takes the new value as m.Seq, then inserts m. No
// other writer, in this process or another, can run between those steps, so
// seqs are gap-free and unique and a retried message is stored once.
//
// UpdatedAt becomes m.CreatedAt unless it is later already: clocks of
// different instances disagree a little, and UpdatedAt never moves back.
func (s *Store) AppendMessage(ctx context.Context, m chat.SealedMessage) (chat.AppendResult, error) {
	if err := validateMessage(m); err != nil {
		return chat.AppendResult{}, fmt.Errorf("sqlite: append message: %w", err)
	}
	var res chat.AppendResult
	err := s.inWriteTx(ctx, func(tx *writeTx) error {
		// The duplicate check comes first: a retry must get its original
		// back even if the session has ended since, or if the retry names
		// another (or no existing) session.
		orig, found, err := findDuplicate(ctx, tx, m.AuthorID, m.ClientMsgID)
		if err != nil || found {
			res = orig
			return err
		}
		sess, err := scanSession(tx.QueryRowContext(ctx, advanceSeqQuery, toMillis(m.CreatedAt), m.SessionID))
		if errors.Is(err, sql.ErrNoRows) {
			return mustNotBeActive(ctx, tx, m.SessionID)
		}
		if err != nil {
			return fmt.Errorf("advance seq: %w", err)
		}
		m.Seq = sess.LastSeq
		if err := insertMessage(ctx, tx, m); err != nil {
			return err
		}
		res = chat.AppendResult{Session: sess, Message: m}
		return nil
	})
	if err != nil {
		return chat.AppendResult{}, fmt.Errorf("sqlite: append message: %w", err)
	}
	return res, nil
}

// validateMessage rejects a message that could not be stored or found again.
func validateMessage(m chat.SealedMessage) error {
	if m.ID == "" {
		return fmt.Errorf("message id is empty: %w", chat.ErrInvalid)
	}
	return nil
}

// findDuplicate returns the stored message with the idempotency key
// (authorID, clientMsgID) and its session as they are now, with Duplicate
// set. An empty clientMsgID never matches: messages without one (ai,
// system) are all distinct.
func findDuplicate(ctx context.Context, tx *writeTx, authorID, clientMsgID string) (chat.AppendResult, bool, error) {
	if clientMsgID == "" {
		return chat.AppendResult{}, false, nil
	}
	m, err := scanMessage(tx.QueryRowContext(ctx, dupQuery, authorID, clientMsgID))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.AppendResult{}, false, nil
	}
	if err != nil {
		return chat.AppendResult{}, false, fmt.Errorf("look up client message id: %w", err)
	}
	sess, err := getSession(ctx, tx, m.SessionID)
	if err != nil {
		// The foreign key makes a missing session impossible; if it
		// happens anyway it is corruption, not "not found".
		return chat.AppendResult{}, false, fmt.Errorf("session of duplicate message %q: %v", m.ID, err)
	}
	return chat.AppendResult{Session: sess, Message: m, Duplicate: true}, true, nil
}

// insertMessage inserts m, whose Seq is already assigned.
func insertMessage(ctx context.Context, tx *writeTx, m chat.SealedMessage) error {
	content := m.Sealed
	if content == nil {
		content = []byte{} // nil would bind as NULL; the column holds bytes
	}
	r, err := tx.ExecContext(ctx, insertMessageQuery,
		m.ID, m.SessionID, m.Seq, m.ClientMsgID, m.AuthorID, string(m.Sender), m.SenderName,
		m.ReplyTo, m.ModelID, m.Interrupted, m.TokensIn, m.TokensOut, toMillis(m.CreatedAt), content)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return fmt.Errorf("insert message: %w", err)
	} else if n == 0 {
		// Message ids come from the server; a clash is a bug upstream.
		// The caller rolls back, so the seq taken for it is not lost.
		return fmt.Errorf("message id %q already exists: %w", m.ID, chat.ErrInvalid)
	}
	return nil
}

// ListMessages returns up to limit messages of the session with seq greater
// than afterSeq, in ascending seq order. An unknown session, or a limit of 0
// or less, yields an empty slice.
func (s *Store) ListMessages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]chat.SealedMessage, error) {
	msgs := []chat.SealedMessage{}
	if limit <= 0 {
		// SQLite reads LIMIT -1 as "no limit"; "at most limit" means none.
		return msgs, nil
	}
	rows, err := s.read.QueryContext(ctx, listMessagesQuery, sessionID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list messages: read message: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list messages: %w", err)
	}
	return msgs, nil
}

-- 0001: sessions and their messages.
--
-- Times are INTEGER milliseconds since the Unix epoch, UTC: the precision the
-- chat.Repository contract keeps, cheap to compare and free of any textual
-- time format. STRICT makes SQLite reject a value of the wrong type instead
-- of silently converting it, so content can only ever be stored as a BLOB.

CREATE TABLE sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    user_name  TEXT    NOT NULL,
    model_id   TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('active', 'ended')),
    end_reason TEXT    NOT NULL DEFAULT '',
    last_seq   INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at   INTEGER -- NULL while the session is active
) STRICT;

-- ListSessions: one user's sessions, newest first, ties broken by id. The
-- index matches the ORDER BY exactly, so a page is a range scan that stops
-- after limit+1 rows whatever the user's history length.
CREATE INDEX sessions_by_user_created ON sessions (user_id, created_at DESC, id DESC);

CREATE TABLE messages (
    id            TEXT    NOT NULL PRIMARY KEY,
    session_id    TEXT    NOT NULL REFERENCES sessions (id),
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    client_msg_id TEXT    NOT NULL DEFAULT '',
    author_id     TEXT    NOT NULL DEFAULT '',
    sender        TEXT    NOT NULL,
    sender_name   TEXT    NOT NULL DEFAULT '',
    reply_to      INTEGER NOT NULL DEFAULT 0,
    model_id      TEXT    NOT NULL DEFAULT '',
    interrupted   INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
    tokens_in     INTEGER NOT NULL DEFAULT 0,
    tokens_out    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    content       BLOB    NOT NULL
) STRICT;

-- Seqs are assigned under the database write lock, so this index never
-- fires in practice; it is the last line of defence for "gap-free and unique
-- per session", and it also serves ListMessages (session_id, seq > ?).
CREATE UNIQUE INDEX messages_by_session_seq ON messages (session_id, seq);

-- Idempotency key. Partial, because messages without a client id (ai and
-- system) must never collide with each other.
CREATE UNIQUE INDEX messages_by_author_client_msg ON messages (author_id, client_msg_id)
    WHERE client_msg_id <> '';

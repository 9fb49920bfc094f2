-- 0006: files users upload and attach to their messages. The bytes live in a
-- blob store under object_key; a row says whose the file is and, once sent,
-- in which session and message. No foreign key to sessions: deleting a
-- session's data erases its uploads (bytes first, then rows) before the
-- session row goes, and a key would only turn a retried erasure into an
-- error.

CREATE TABLE uploads (
    id           TEXT    NOT NULL PRIMARY KEY,
    owner_id     TEXT    NOT NULL,
    session_id   TEXT    NOT NULL DEFAULT '', -- '' until attached
    message_id   TEXT    NOT NULL DEFAULT '', -- '' until attached
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    content_type TEXT    NOT NULL,
    object_key   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
) STRICT;

-- A user's uploads (erasure); a session's attachments (history, erasure).
CREATE INDEX uploads_by_owner ON uploads (owner_id, created_at, id);
CREATE INDEX uploads_by_session ON uploads (session_id, created_at, id) WHERE session_id <> '';

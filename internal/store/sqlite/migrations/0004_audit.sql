-- 0004: the audit log of admin actions. Append-only; it names actions and
-- ids, never message content.

CREATE TABLE audit (
    id         TEXT    NOT NULL PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   TEXT    NOT NULL,
    actor_name TEXT    NOT NULL DEFAULT '',
    action     TEXT    NOT NULL,
    session_id TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_by_at ON audit (at DESC, id DESC);
CREATE INDEX audit_by_session ON audit (session_id, at DESC, id DESC);

-- UsageSince and "sessions today" read by time.
CREATE INDEX messages_by_created ON messages (created_at);

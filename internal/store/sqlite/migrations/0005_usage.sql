-- 0005: what replies cost, per session and per user and day, and the
-- conversation ids providers with their own memory (Dify) gave a session.
-- Kept apart from sessions so adding a reply's usage never rewrites the
-- session row the listing indexes cover.

CREATE TABLE session_usage (
    session_id    TEXT    NOT NULL PRIMARY KEY REFERENCES sessions (id),
    tokens_in     INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out    INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    conversations TEXT    NOT NULL DEFAULT '{}' -- JSON object: provider id -> conversation id
) STRICT;

-- The daily budget reads one row per user and UTC day.
CREATE TABLE user_usage (
    user_id    TEXT    NOT NULL,
    day        TEXT    NOT NULL, -- UTC date, 2006-01-02
    tokens_in  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    PRIMARY KEY (user_id, day)
) STRICT, WITHOUT ROWID;

-- 0003: the notification outbox (see package notify) and its rate limits.
--
-- A row is one message to one recipient over one channel. It is written
-- before anything is sent, then leased by one worker at a time (lease_owner,
-- lease_until) while it is sent, so any number of instances can share the
-- table and each row goes out once.

CREATE TABLE notifications (
    id              TEXT    NOT NULL PRIMARY KEY,
    dedupe_key      TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL DEFAULT '',
    session_id      TEXT    NOT NULL DEFAULT '',
    payload         BLOB    NOT NULL, -- the sealed event: it quotes user messages
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'canceled')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0, -- 0: not leased
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER -- NULL unless sent
) STRICT;

-- Each notification exists once, whichever instance reports the event.
CREATE UNIQUE INDEX notifications_by_dedupe_key ON notifications (dedupe_key);

-- The worker's query: pending rows, oldest due first.
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';

-- Resolve: a session's pending rows.
CREATE INDEX notifications_pending_by_session ON notifications (session_id) WHERE status = 'pending';

-- The admin view, newest first.
CREATE INDEX notifications_by_created ON notifications (created_at DESC, id DESC);

-- One row per rate-limited scope (e.g. help alerts of one session): no
-- batch for the scope is accepted before until.
CREATE TABLE notification_rate_limits (
    scope TEXT    NOT NULL PRIMARY KEY,
    until INTEGER NOT NULL
) STRICT;

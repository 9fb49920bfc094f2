-- 0002: who answers a session (the assistant or a human admin), the epoch
-- that orders ownership changes, and help requests.

ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT 'ai' CHECK (owner IN ('ai', 'human'));
ALTER TABLE sessions ADD COLUMN admin_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN admin_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0 CHECK (epoch >= 0);
ALTER TABLE sessions ADD COLUMN help_requested_at INTEGER; -- NULL: no request waiting
ALTER TABLE sessions ADD COLUMN admin_assisted INTEGER NOT NULL DEFAULT 0 CHECK (admin_assisted IN (0, 1));

-- The admin console lists every user's sessions newest first, usually
-- filtered by status, owner or a waiting help request.
CREATE INDEX sessions_by_created ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_by_help_requested ON sessions (help_requested_at) WHERE help_requested_at IS NOT NULL;
CREATE INDEX sessions_by_admin_assisted ON sessions (admin_assisted);

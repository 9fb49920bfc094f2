-- 0007: the data lifecycle's sweeps (idle expiry, retention, erasure).
-- end_reason exists since 0001; these indexes keep every sweep a range scan
-- that stops after one batch, however many sessions are stored.

-- Idle expiry: active sessions, least recently updated first.
CREATE INDEX sessions_active_by_updated ON sessions (updated_at, id) WHERE status = 'active';

-- Retention: ended sessions, longest ended first.
CREATE INDEX sessions_ended_by_ended_at ON sessions (ended_at, id) WHERE status = 'ended';

-- Erasure: every notification of a session, whatever its status (0003's
-- index covers pending ones only).
CREATE INDEX notifications_by_session ON notifications (session_id) WHERE session_id <> '';

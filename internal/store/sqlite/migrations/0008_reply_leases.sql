-- 0008: questions awaiting an AI reply, and the instance generating each
-- one under a lease, so a reply lost with its instance is generated again
-- elsewhere, and never by two instances at once.

CREATE TABLE owed_replies (
    session_id  TEXT    NOT NULL PRIMARY KEY REFERENCES sessions (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1), -- the newest user message owed a reply
    owed_at     INTEGER NOT NULL,                  -- when the session first owed it
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Recovery scans for debts whose lease expired, oldest first.
CREATE INDEX owed_replies_by_owed_at ON owed_replies (owed_at);

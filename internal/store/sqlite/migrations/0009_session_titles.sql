-- 0009: a short title per session, made from the user's first message and
-- sealed like message content (it is content), so lists can name a
-- conversation without opening its messages. NULL for older sessions.

ALTER TABLE sessions ADD COLUMN title BLOB;

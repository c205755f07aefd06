-- Self-service account: each session remembers where it was opened from (address and browser,
-- shown to its owner), and single-use tokens sent by e-mail (password reset links; one table
-- for every such token, told apart by `purpose`), stored hashed.
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;

CREATE TABLE mail_tokens (
    id_hash     TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX mail_tokens_user ON mail_tokens(user_id);

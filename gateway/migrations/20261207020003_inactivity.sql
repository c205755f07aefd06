-- Accounts as the conventions require (issue 17). `inactivity_warned_at`: when the sweeper last
-- e-mailed the account that it will be disabled for inactivity; `enabled_at`: when an
-- administrator last enabled it again (its inactivity counts from there, as from a login).
ALTER TABLE users ADD COLUMN inactivity_warned_at BIGINT;
ALTER TABLE users ADD COLUMN enabled_at BIGINT;
-- The yearly access review, recorded per organisation: who reviewed, when, what was changed.
CREATE TABLE access_reviews_done (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reviewed_by TEXT NOT NULL REFERENCES users(id),
    reviewed_at BIGINT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX access_reviews_done_org ON access_reviews_done (organisation_id, reviewed_at);

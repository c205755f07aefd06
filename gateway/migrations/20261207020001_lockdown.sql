-- The platform's lockdown (issue 17): one row, read by every instance on each authenticated
-- request, each login step and each upload or download, so a change made on one instance holds
-- on all of them at once and survives restarts. No row means off; the first change creates it
-- (so a restore, which inserts the backed-up row, never meets a row the migration made).
CREATE TABLE lockdown (
    id BIGINT PRIMARY KEY,
    active BIGINT NOT NULL,
    reason TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT
);

-- Scheduled backups (issue 17): one row per day (Paris date), inserted by the instance that
-- takes the day's backup: the primary key makes it once across every instance sharing the
-- database. `outcome` is running, success or failed; the administration home shows the last one.
CREATE TABLE scheduled_backups (
    day TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    dir TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT
);

-- Notification choices, one row per person who changed them (no row: every kind on, no digest).
-- `disabled_kinds` lists the stable names of the kinds switched off, comma-separated.
CREATE TABLE notification_settings (
    user_id TEXT PRIMARY KEY,
    disabled_kinds TEXT NOT NULL DEFAULT '',
    digest BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- Messages waiting for a person's hourly digest of one mission: the sweeper sends them as one
-- message an hour after the oldest arrived. Names of files and missions only, never content.
CREATE TABLE notification_digest_items (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    mission_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    body_fr TEXT NOT NULL,
    body_en TEXT NOT NULL
);
CREATE INDEX notification_digest_items_due ON notification_digest_items (created_at);

-- The first download of a deposit by a processor, told once to its depositor.
CREATE TABLE first_download_notices (
    file_id TEXT PRIMARY KEY,
    sent_at BIGINT NOT NULL
);

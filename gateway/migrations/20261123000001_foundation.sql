-- Foundation schema: organisations, accounts, MFA, sessions, throttling, audit trail.
-- One migration set for SQLite and PostgreSQL: only TEXT and BIGINT columns, instants in
-- milliseconds since the Unix epoch (UTC), booleans as 0/1. Forward-only.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    email                 TEXT NOT NULL,
    organisation_id       TEXT NOT NULL REFERENCES organisations(id),
    platform_admin        BIGINT NOT NULL DEFAULT 0,
    disabled              BIGINT NOT NULL DEFAULT 0,
    password_hash         TEXT NOT NULL,
    must_change_password  BIGINT NOT NULL DEFAULT 1,
    password_changed_at   BIGINT NOT NULL,
    -- TOTP secrets are sealed under a key derived from the master key (base64).
    totp_secret           TEXT,
    totp_pending_secret   TEXT,
    totp_last_step        BIGINT,
    last_login_at         BIGINT,
    created_at            BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id),
    code_hash  TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- Login challenges between the steps of the three-step login; ids stored hashed.
CREATE TABLE auth_challenges (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    step        TEXT NOT NULL,
    failures    BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX auth_challenges_user ON auth_challenges(user_id);

-- Server-side sessions; tokens stored hashed.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    kind          TEXT NOT NULL,
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed-attempt counters per account ("user:NAME") and per source address ("ip:ADDR").
CREATE TABLE login_throttle (
    key              TEXT PRIMARY KEY,
    failures         BIGINT NOT NULL,
    last_failure_at  BIGINT NOT NULL,
    blocked_until    BIGINT NOT NULL
);

-- The audit trail: append-only, each row's hash covers its fields and the previous row's hash.
CREATE TABLE audit_events (
    seq              BIGINT PRIMARY KEY,
    at               BIGINT NOT NULL,
    actor            TEXT,
    organisation_id  TEXT,
    ip               TEXT,
    action           TEXT NOT NULL,
    mission_id       TEXT,
    file_id          TEXT,
    target           TEXT,
    outcome          TEXT NOT NULL,
    detail           TEXT,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL
);
CREATE INDEX audit_events_mission ON audit_events(mission_id, seq);

-- Where the chain starts once old entries have been purged for retention: the hash of the last
-- purged entry, so that verification of what remains still links up.
CREATE TABLE audit_anchor (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

-- Missions, their participants and their files. Same portable subset as the foundation.

CREATE TABLE missions (
    id                          TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    purpose                     TEXT NOT NULL,
    controller_organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    ends_at                     BIGINT NOT NULL,
    results_retained_until      BIGINT,
    -- active, suspended, ended, destroyed
    status                      TEXT NOT NULL,
    -- JSON {"days":[1..7],"from":"HH:MM","to":"HH:MM"} in Europe/Paris time, or NULL
    access_window               TEXT,
    created_at                  BIGINT NOT NULL
);

CREATE TABLE participants (
    mission_id  TEXT NOT NULL REFERENCES missions(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (mission_id, user_id, role)
);
CREATE INDEX participants_user ON participants(user_id);

CREATE TABLE files (
    id               TEXT PRIMARY KEY,
    mission_id       TEXT NOT NULL REFERENCES missions(id),
    -- deposits or results
    folder           TEXT NOT NULL,
    -- the uploader's organisation: each depositor organisation has its own deposits folder
    organisation_id  TEXT NOT NULL,
    name             TEXT NOT NULL,
    size             BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    uploaded_by      TEXT NOT NULL REFERENCES users(id),
    uploaded_at      BIGINT NOT NULL,
    released         BIGINT NOT NULL DEFAULT 0,
    released_at      BIGINT,
    expires_at       BIGINT,
    -- uploading (row first, blob next: a crash leaves a row the sweeper can find) or stored
    state            TEXT NOT NULL
);
CREATE INDEX files_mission ON files(mission_id, folder);

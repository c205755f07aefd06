-- Expiry, destruction and certificates.

ALTER TABLE missions ADD COLUMN initial_ends_at BIGINT;
ALTER TABLE missions ADD COLUMN closed_at BIGINT;
ALTER TABLE missions ADD COLUMN key_destroyed_at BIGINT;
ALTER TABLE missions ADD COLUMN destroyed_at BIGINT;
UPDATE missions SET initial_ends_at = ends_at;

-- What remains of a destroyed file: no content, only the facts the certificate states.
CREATE TABLE file_tombstones (
    id               TEXT PRIMARY KEY,
    mission_id       TEXT NOT NULL,
    folder           TEXT NOT NULL,
    organisation_id  TEXT NOT NULL,
    name             TEXT NOT NULL,
    size             BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    uploaded_by      TEXT NOT NULL,
    uploaded_at      BIGINT NOT NULL,
    released         BIGINT NOT NULL,
    destroyed_at     BIGINT NOT NULL,
    reason           TEXT NOT NULL
);
CREATE INDEX file_tombstones_mission ON file_tombstones(mission_id);

-- End-of-mission warnings already sent (each kind once per mission).
CREATE TABLE mission_warnings (
    mission_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (mission_id, kind)
);

-- Signed destruction certificates, one per mission.
CREATE TABLE certificates (
    mission_id  TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    issued_at   BIGINT NOT NULL
);

-- Usage charter: who accepted which version, when and from where. An account accepts each
-- version once; a new version (set by the operator) asks everyone again.

CREATE TABLE charter_acceptances (
    user_id      TEXT NOT NULL REFERENCES users(id),
    version      TEXT NOT NULL,
    accepted_at  BIGINT NOT NULL,
    ip           TEXT,
    PRIMARY KEY (user_id, version)
);

-- The key store, shared by every instance: each mission's data key (and the gateway's own service
-- keys) wrapped by the master key, never in clear. `wrapped` is the base64 of the self-describing
-- wrapped key record (it names the master key that wraps it). Destruction overwrites the row
-- with random bytes, then deletes it, and leaves a tombstone. These tables are never part of
-- `passerelle backup`: keys travel only in key exports, which expire.
CREATE TABLE key_records (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE key_tombstones (
    mission_id TEXT PRIMARY KEY,
    destroyed_at BIGINT NOT NULL
);

-- The id (a commitment, never the key) of the master key the key store is sealed with: an
-- instance configured with another master key refuses to start. One row, id = 1.
CREATE TABLE key_seal (
    id BIGINT PRIMARY KEY,
    master_key_id TEXT NOT NULL,
    sealed_at BIGINT NOT NULL
);

-- Passkeys (WebAuthn) as a second factor beside TOTP. `passkey` holds webauthn-rs's serialised
-- credential (public key, counter, backup state: no secret); `credential_id` is its id in
-- base64url, unique across accounts. A login challenge of step `totp` may carry the options of a
-- passkey authentication and its server-side state; a registration in flight has its own row,
-- bound to its account, its ids stored hashed, expiring like a login challenge.
CREATE TABLE passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    credential_id  TEXT NOT NULL UNIQUE,
    passkey        TEXT NOT NULL,
    name           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX passkeys_user ON passkeys(user_id);

ALTER TABLE auth_challenges ADD COLUMN webauthn_options TEXT;
ALTER TABLE auth_challenges ADD COLUMN webauthn_state TEXT;

CREATE TABLE passkey_registrations (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX passkey_registrations_user ON passkey_registrations(user_id);

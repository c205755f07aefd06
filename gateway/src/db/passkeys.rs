//! Passkeys (WebAuthn credentials) and the registrations in flight.

use super::{Db, DbError};

/// A registered passkey.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    /// Public id (random).
    pub id: String,
    /// Its owner.
    pub user_id: String,
    /// The credential id, base64url.
    pub credential_id: String,
    /// webauthn-rs's serialised `Passkey` (JSON).
    pub passkey: String,
    /// The name its owner gave it.
    pub name: String,
    /// Registration instant (ms).
    pub created_at: i64,
    /// Last sign-in with it (ms).
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, credential_id, passkey, name, created_at, last_used_at";

/// The passkeys of `user_id`, oldest first.
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<PasskeyRow>, DbError> {
    Ok(sqlx::query_as::<_, PasskeyRow>(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Whether `user_id` has at least one passkey.
pub async fn any(db: &Db, user_id: &str) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

/// Stores a new passkey; `false` when its credential id is already registered.
pub async fn insert(db: &Db, row: &PasskeyRow) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, passkey, name, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.credential_id)
    .bind(&row.passkey)
    .bind(&row.name)
    .bind(row.created_at)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Records a sign-in with a passkey: its updated credential (counter, backup state) and instant.
pub async fn used(
    db: &Db,
    user_id: &str,
    id: &str,
    passkey: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3 AND user_id = $4",
    )
    .bind(passkey)
    .bind(now_ms)
    .bind(id)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// What became of a request to remove one of an account's passkeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Removed.
    Removed,
    /// No such passkey of this account.
    NotFound,
    /// Refused: the account would be left with no second factor (no app, no other passkey).
    LastFactor,
}

/// Removes the passkey `id` of `user_id` unless it is the account's last second factor. The
/// account's row is locked first (a no-op update: a row lock on PostgreSQL, the write lock on
/// SQLite), so that two removals at once cannot each see the other's passkey and leave none.
pub async fn delete_own(db: &Db, user_id: &str, id: &str) -> Result<Removal, DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE users SET id = id WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let (keys, has_app): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM passkeys WHERE user_id = $1), \
         (SELECT COUNT(*) FROM users WHERE id = $1 AND totp_secret IS NOT NULL)",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if has_app == 0 && keys <= 1 {
        tx.rollback().await?;
        return Ok(Removal::LastFactor);
    }
    let r = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(if super::changed(&r) {
        Removal::Removed
    } else {
        Removal::NotFound
    })
}

/// Removes the account's authenticator app if it still has a passkey, under the same lock as
/// [`delete_own`]; false (nothing changed) when it has none.
pub async fn clear_totp_keeping_a_passkey(db: &Db, user_id: &str) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE users SET id = id WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    if keys == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL \
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A registration in flight.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    /// Hash of the ceremony id handed to the client.
    pub id_hash: String,
    /// Whose passkey it will be.
    pub user_id: String,
    /// The name given.
    pub name: String,
    /// webauthn-rs's serialised `PasskeyRegistration` (JSON).
    pub state: String,
    /// When it stops being accepted (ms).
    pub expires_at: i64,
}

/// Stores a registration, replacing the user's earlier ones (one in flight per account).
pub async fn insert_registration(db: &Db, r: &RegistrationRow) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM passkey_registrations WHERE user_id = $1")
        .bind(&r.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO passkey_registrations (id_hash, user_id, name, state, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&r.id_hash)
    .bind(&r.user_id)
    .bind(&r.name)
    .bind(&r.state)
    .bind(r.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes (reads and deletes) `user_id`'s registration `id_hash`: each is answered once.
pub async fn take_registration(
    db: &Db,
    user_id: &str,
    id_hash: &str,
) -> Result<Option<RegistrationRow>, DbError> {
    let row = sqlx::query_as::<_, RegistrationRow>(
        "SELECT id_hash, user_id, name, state, expires_at FROM passkey_registrations \
         WHERE id_hash = $1 AND user_id = $2",
    )
    .bind(id_hash)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    let r = sqlx::query("DELETE FROM passkey_registrations WHERE id_hash = $1 AND user_id = $2")
        .bind(id_hash)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    // Another request took it between the two statements.
    Ok(row.filter(|_| super::changed(&r)))
}

/// Removes expired registrations.
pub async fn purge_registrations(db: &Db, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM passkey_registrations WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(())
}

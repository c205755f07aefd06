//! Single-use tokens sent by e-mail (password reset links), stored hashed.

use super::{Db, DbError};

/// A token as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailTokenRow {
    /// SHA-256 of the token.
    pub id_hash: String,
    /// What the token is for (`reset`).
    pub purpose: String,
    /// Whose account it acts on.
    pub user_id: String,
    /// Issued (ms).
    pub created_at: i64,
    /// Dies at (ms).
    pub expires_at: i64,
}

/// Stores a new token.
pub async fn insert(db: &Db, t: &MailTokenRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO mail_tokens (id_hash, purpose, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&t.id_hash)
    .bind(&t.purpose)
    .bind(&t.user_id)
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A token by hash and purpose, alive at `now_ms`.
pub async fn live(
    db: &Db,
    id_hash: &str,
    purpose: &str,
    now_ms: i64,
) -> Result<Option<MailTokenRow>, DbError> {
    Ok(sqlx::query_as::<_, MailTokenRow>(
        "SELECT id_hash, purpose, user_id, created_at, expires_at FROM mail_tokens \
         WHERE id_hash = $1 AND purpose = $2 AND expires_at > $3",
    )
    .bind(id_hash)
    .bind(purpose)
    .bind(now_ms)
    .fetch_optional(&db.pool)
    .await?)
}

/// Uses a token up; `false` when another request used it first.
pub async fn consume(db: &Db, id_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM mail_tokens WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Withdraws every token of one purpose for an account (a new link replaces the older ones).
pub async fn revoke(db: &Db, user_id: &str, purpose: &str) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM mail_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

/// Removes dead tokens (housekeeping).
pub async fn purge(db: &Db, now_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM mail_tokens WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

/// The live tokens of one purpose, oldest first (pending invitations).
pub async fn live_of_purpose(
    db: &Db,
    purpose: &str,
    now_ms: i64,
) -> Result<Vec<MailTokenRow>, DbError> {
    Ok(sqlx::query_as::<_, MailTokenRow>(
        "SELECT id_hash, purpose, user_id, created_at, expires_at FROM mail_tokens \
         WHERE purpose = $1 AND expires_at > $2 ORDER BY created_at, user_id",
    )
    .bind(purpose)
    .bind(now_ms)
    .fetch_all(&db.pool)
    .await?)
}

/// The live token of one purpose for an account, if any.
pub async fn live_for_user(
    db: &Db,
    user_id: &str,
    purpose: &str,
    now_ms: i64,
) -> Result<Option<MailTokenRow>, DbError> {
    Ok(sqlx::query_as::<_, MailTokenRow>(
        "SELECT id_hash, purpose, user_id, created_at, expires_at FROM mail_tokens \
         WHERE user_id = $1 AND purpose = $2 AND expires_at > $3 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(now_ms)
    .fetch_optional(&db.pool)
    .await?)
}

/// Kills every link of an account, whatever its purpose.
pub async fn revoke_all(db: &Db, user_id: &str) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM mail_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

//! Server-side sessions.

use super::{Db, DbError};

/// A session row joined with the state of its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// Hash of the token.
    pub id_hash: String,
    /// Owner.
    pub user_id: String,
    /// `bearer` (scripts) or `cookie` (web interface).
    pub kind: String,
    /// Synchroniser token for the web interface's forms.
    pub csrf_token: String,
    /// Login instant (ms).
    pub created_at: i64,
    /// Last use (ms).
    pub last_seen_at: i64,
    /// Absolute end (ms).
    pub expires_at: i64,
    /// The owner's disabled flag.
    pub disabled: i64,
    /// The owner's organisation.
    pub organisation_id: String,
    /// The owner's platform-administrator flag.
    pub platform_admin: i64,
    /// The owner's login name.
    pub username: String,
}

/// Stores a new session.
pub async fn insert(
    db: &Db,
    id_hash: &str,
    user_id: &str,
    kind: &str,
    csrf_token: &str,
    now_ms: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(kind)
    .bind(csrf_token)
    .bind(now_ms)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A session by token hash.
pub async fn get(db: &Db, id_hash: &str) -> Result<Option<SessionRow>, DbError> {
    Ok(sqlx::query_as::<_, SessionRow>(
        "SELECT s.id_hash, s.user_id, s.kind, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, u.disabled, \
         u.organisation_id, u.platform_admin, u.username \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&db.pool)
    .await?)
}

/// Records a use of the session.
pub async fn touch(db: &Db, id_hash: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now_ms)
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn delete(db: &Db, id_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Removes sessions past their absolute end or idle for longer than `idle_ms`.
pub async fn purge(db: &Db, now_ms: i64, idle_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now_ms)
        .bind(now_ms - idle_ms)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

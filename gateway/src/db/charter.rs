//! Usage charter acceptances.

use super::{Db, DbError};

/// Whether `user_id` accepted `version`.
pub async fn accepted(db: &Db, user_id: &str, version: &str) -> Result<bool, DbError> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM charter_acceptances WHERE user_id = $1 AND version = $2",
    )
    .bind(user_id)
    .bind(version)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.is_some())
}

/// Records that `user_id` accepted `version` (a second acceptance of the same version keeps the
/// first). Returns whether this call recorded it.
pub async fn record(
    db: &Db,
    user_id: &str,
    version: &str,
    at_ms: i64,
    ip: &str,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO charter_acceptances (user_id, version, accepted_at, ip) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, version) DO NOTHING",
    )
    .bind(user_id)
    .bind(version)
    .bind(at_ms)
    .bind(ip)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

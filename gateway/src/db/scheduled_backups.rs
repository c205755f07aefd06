//! Scheduled backups: one row per day, claimed by the instance that runs it.

use super::{Db, DbError};

/// One day's scheduled backup.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduledBackupRow {
    /// The Paris date, `YYYY-MM-DD`.
    pub day: String,
    /// When it started (ms).
    pub started_at: i64,
    /// When it ended (ms), once it did.
    pub finished_at: Option<i64>,
    /// The folder written.
    pub dir: String,
    /// `running`, `success` or `failed`.
    pub outcome: String,
    /// What went wrong, for the operator.
    pub error: Option<String>,
}

/// Claims `day`'s backup; `false` when an instance already did.
pub async fn claim(db: &Db, day: &str, now_ms: i64, dir: &str) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO scheduled_backups (day, started_at, dir, outcome) VALUES ($1, $2, $3, 'running') \
         ON CONFLICT (day) DO NOTHING",
    )
    .bind(day)
    .bind(now_ms)
    .bind(dir)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Records how `day`'s backup ended (`error`: `None` for a success).
pub async fn finish(db: &Db, day: &str, now_ms: i64, error: Option<&str>) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE scheduled_backups SET finished_at = $1, outcome = $2, error = $3 WHERE day = $4",
    )
    .bind(now_ms)
    .bind(if error.is_some() { "failed" } else { "success" })
    .bind(error)
    .bind(day)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The latest scheduled backup, if any.
pub async fn last(db: &Db) -> Result<Option<ScheduledBackupRow>, DbError> {
    Ok(sqlx::query_as::<_, ScheduledBackupRow>(
        "SELECT day, started_at, finished_at, dir, outcome, error FROM scheduled_backups \
         ORDER BY day DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?)
}

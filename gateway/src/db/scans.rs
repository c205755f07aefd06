//! Files awaiting their antivirus scan (`check_status = 'pending_scan'`).

use super::files::{into_files, FileRow, COLUMNS};
use super::{Db, DbError};
use crate::domain::{CheckStatus, File};

/// Stored files awaiting their scan, oldest first.
pub async fn pending(db: &Db) -> Result<Vec<File>, DbError> {
    into_files(
        sqlx::query_as::<_, FileRow>(&format!(
            "SELECT {COLUMNS} FROM files WHERE state = 'stored' AND check_status = $1 \
         ORDER BY uploaded_at, id"
        ))
        .bind(CheckStatus::PendingScan.as_str())
        .fetch_all(&db.pool)
        .await?,
    )
}

/// Gives a file that was awaiting its scan its verdict (`None`: no check status, as for a
/// result); `false` when it no longer awaits one (deleted, or finished by another instance).
pub async fn finish(
    db: &Db,
    id: &str,
    status: Option<CheckStatus>,
    report: Option<&str>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE files SET check_status = $1, check_report = $2 WHERE id = $3 AND check_status = $4",
    )
    .bind(status.map(CheckStatus::as_str))
    .bind(report)
    .bind(id)
    .bind(CheckStatus::PendingScan.as_str())
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

//! Files awaiting their antivirus scan (`check_status = 'pending_scan'`).

use super::files::{FileRow, COLUMNS};
use super::{Db, DbError};

/// The stored word of a file awaiting its antivirus scan.
pub const PENDING_SCAN: &str = "pending_scan";

/// Stored files awaiting their scan, oldest first.
pub async fn pending(db: &Db) -> Result<Vec<FileRow>, DbError> {
    Ok(sqlx::query_as::<_, FileRow>(&format!(
        "SELECT {COLUMNS} FROM files WHERE state = 'stored' AND check_status = $1 \
         ORDER BY uploaded_at, id"
    ))
    .bind(PENDING_SCAN)
    .fetch_all(&db.pool)
    .await?)
}

/// Gives a file that was awaiting its scan its verdict (`None`: no check status, as for a
/// result); `false` when it no longer awaits one (deleted, or finished by another instance).
pub async fn finish(
    db: &Db,
    id: &str,
    status: Option<&str>,
    report: Option<&str>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE files SET check_status = $1, check_report = $2 WHERE id = $3 AND check_status = $4",
    )
    .bind(status)
    .bind(report)
    .bind(id)
    .bind(PENDING_SCAN)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

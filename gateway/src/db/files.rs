//! Files of the missions' folders.

use super::{Db, DbError};

/// A file row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    /// Opaque id (also the blob id).
    pub id: String,
    /// Its mission.
    pub mission_id: String,
    /// `deposits` or `results`.
    pub folder: String,
    /// The uploader's organisation.
    pub organisation_id: String,
    /// Display name (sanitised).
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// The uploader.
    pub uploaded_by: String,
    /// Upload instant (ms).
    pub uploaded_at: i64,
    /// 1 once released to recipients.
    pub released: i64,
    /// Release instant (ms).
    pub released_at: Option<i64>,
    /// The file's own destruction date (ms).
    pub expires_at: Option<i64>,
    /// `uploading` or `stored`.
    pub state: String,
    /// Content check: `clean`, `quarantined`, `confirmed` (deposits); `passed`, `failed`, `overridden` (results);
    /// `pending_scan` (either folder) while the antivirus has not scanned it yet.
    pub check_status: Option<String>,
    /// The findings or violations, as JSON.
    pub check_report: Option<String>,
    /// Who confirmed or overrode, when and why, as JSON.
    pub check_decision: Option<String>,
}

/// The columns of a file row, in [`FileRow`] order.
pub const COLUMNS: &str =
    "id, mission_id, folder, organisation_id, name, size, sha256, uploaded_by, uploaded_at, \
    released, released_at, expires_at, state, check_status, check_report, check_decision";

/// Records an upload about to start (state `uploading`), before any byte is stored.
pub async fn insert_uploading(db: &Db, f: &FileRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, 0, '', $6, $7, 0, NULL, NULL, 'uploading', NULL, NULL, NULL)"
    ))
    .bind(&f.id)
    .bind(&f.mission_id)
    .bind(&f.folder)
    .bind(&f.organisation_id)
    .bind(&f.name)
    .bind(&f.uploaded_by)
    .bind(f.uploaded_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Marks an upload complete with its size, digest and check verdict, in one statement: the file
/// never shows without its verdict.
pub async fn mark_stored(
    db: &Db,
    id: &str,
    size: i64,
    sha256: &str,
    check_status: Option<&str>,
    check_report: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET size = $1, sha256 = $2, state = 'stored', check_status = $3, check_report = $4 WHERE id = $5")
        .bind(size)
        .bind(sha256)
        .bind(check_status)
        .bind(check_report)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// One stored file.
pub async fn get(db: &Db, id: &str) -> Result<Option<FileRow>, DbError> {
    Ok(sqlx::query_as::<_, FileRow>(&format!(
        "SELECT {COLUMNS} FROM files WHERE id = $1 AND state = 'stored'"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The stored files of a mission, oldest first.
pub async fn list(db: &Db, mission_id: &str) -> Result<Vec<FileRow>, DbError> {
    Ok(sqlx::query_as::<_, FileRow>(&format!(
        "SELECT {COLUMNS} FROM files WHERE mission_id = $1 AND state = 'stored' ORDER BY uploaded_at, id"
    ))
    .bind(mission_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Marks a result released.
pub async fn release(db: &Db, id: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE files SET released = 1, released_at = COALESCE(released_at, $1) WHERE id = $2",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes a file's row.
pub async fn delete(db: &Db, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Upload rows left `uploading` since before `before_ms` (a crash or a cut connection).
pub async fn stale_uploads(db: &Db, before_ms: i64) -> Result<Vec<FileRow>, DbError> {
    Ok(sqlx::query_as::<_, FileRow>(&format!(
        "SELECT {COLUMNS} FROM files WHERE state = 'uploading' AND uploaded_at < $1"
    ))
    .bind(before_ms)
    .fetch_all(&db.pool)
    .await?)
}

/// Records a check verdict, its report and, when given, the person's decision.
pub async fn set_check(
    db: &Db,
    id: &str,
    status: &str,
    report: Option<&str>,
    decision: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE files SET check_status = $1, check_report = COALESCE($2, check_report), \
         check_decision = COALESCE($3, check_decision) WHERE id = $4",
    )
    .bind(status)
    .bind(report)
    .bind(decision)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

//! Files of the missions' folders.

use super::{Db, DbError};
use crate::domain::{CheckStatus, File, UnknownWord};

/// A file row as stored: words and integers, turned into a [`File`] by [`FileRow::into_file`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FileRow {
    id: String,
    mission_id: String,
    folder: String,
    organisation_id: String,
    name: String,
    size: i64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: i64,
    released: i64,
    released_at: Option<i64>,
    expires_at: Option<i64>,
    state: String,
    check_status: Option<String>,
    check_report: Option<String>,
    check_decision: Option<String>,
}

impl FileRow {
    /// The file, its words parsed.
    pub(crate) fn into_file(self) -> Result<File, UnknownWord> {
        Ok(File {
            folder: self.folder.parse()?,
            state: self.state.parse()?,
            check_status: self
                .check_status
                .as_deref()
                .map(str::parse::<CheckStatus>)
                .transpose()?,
            released: self.released != 0,
            id: self.id,
            mission_id: self.mission_id,
            organisation_id: self.organisation_id,
            name: self.name,
            size: self.size,
            sha256: self.sha256,
            uploaded_by: self.uploaded_by,
            uploaded_at: self.uploaded_at,
            released_at: self.released_at,
            expires_at: self.expires_at,
            check_report: self.check_report,
            check_decision: self.check_decision,
        })
    }
}

/// Parses the rows of a query.
pub(crate) fn into_files(rows: Vec<FileRow>) -> Result<Vec<File>, DbError> {
    rows.into_iter()
        .map(|r| r.into_file().map_err(DbError::from))
        .collect()
}

/// The columns of a file row, in [`FileRow`] order.
pub const COLUMNS: &str =
    "id, mission_id, folder, organisation_id, name, size, sha256, uploaded_by, uploaded_at, \
    released, released_at, expires_at, state, check_status, check_report, check_decision";

/// Records an upload about to start (state `uploading`), before any byte is stored.
pub async fn insert_uploading(db: &Db, f: &File) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, 0, '', $6, $7, 0, NULL, NULL, 'uploading', NULL, NULL, NULL)"
    ))
    .bind(&f.id)
    .bind(&f.mission_id)
    .bind(f.folder.as_str())
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
    check_status: Option<CheckStatus>,
    check_report: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET size = $1, sha256 = $2, state = 'stored', check_status = $3, check_report = $4 WHERE id = $5")
        .bind(size)
        .bind(sha256)
        .bind(check_status.map(CheckStatus::as_str))
        .bind(check_report)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// One stored file.
pub async fn get(db: &Db, id: &str) -> Result<Option<File>, DbError> {
    let row = sqlx::query_as::<_, FileRow>(&format!(
        "SELECT {COLUMNS} FROM files WHERE id = $1 AND state = 'stored'"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(FileRow::into_file).transpose()?)
}

/// The stored files of a mission, oldest first.
pub async fn list(db: &Db, mission_id: &str) -> Result<Vec<File>, DbError> {
    into_files(sqlx::query_as::<_, FileRow>(&format!(
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
pub async fn stale_uploads(db: &Db, before_ms: i64) -> Result<Vec<File>, DbError> {
    into_files(
        sqlx::query_as::<_, FileRow>(&format!(
            "SELECT {COLUMNS} FROM files WHERE state = 'uploading' AND uploaded_at < $1"
        ))
        .bind(before_ms)
        .fetch_all(&db.pool)
        .await?,
    )
}

/// Records a check verdict, its report and, when given, the person's decision.
pub async fn set_check(
    db: &Db,
    id: &str,
    status: CheckStatus,
    report: Option<&str>,
    decision: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE files SET check_status = $1, check_report = COALESCE($2, check_report), \
         check_decision = COALESCE($3, check_decision) WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(report)
    .bind(decision)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

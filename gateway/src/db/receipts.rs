//! Download receipts: a file's successful downloads, read from the audit trail (the trail is
//! the record; nothing is stored twice).

use super::{Db, DbError};
use crate::domain::{AuditAction, AuditOutcome};

/// One successful download of a file as the trail recorded it, with the downloader's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DownloadRow {
    /// The downloader's user id.
    pub actor: String,
    /// The downloader's display name now (`None` if the account is gone).
    pub display_name: Option<String>,
    /// The downloader's organisation at the time.
    pub organisation_id: Option<String>,
    /// When (ms).
    pub at: i64,
    /// The event's detail (JSON text): a `range` in it marks a partial download.
    pub detail: Option<String>,
}

const WHERE: &str = "a.mission_id = $1 AND a.file_id = $2 AND a.action = $3 AND a.outcome = $4 \
     AND a.actor IS NOT NULL";

/// The newest `limit` successful downloads of a file, oldest first, and how many there are in
/// all. The mission narrows the search to the mission's index.
pub async fn downloads(
    db: &Db,
    mission_id: &str,
    file_id: &str,
    limit: i64,
) -> Result<(Vec<DownloadRow>, i64), DbError> {
    let action = AuditAction::FileDownload.as_str();
    let outcome = AuditOutcome::Success.as_str();
    let (total,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM audit_events a WHERE {WHERE}"
    ))
    .bind(mission_id)
    .bind(file_id)
    .bind(action)
    .bind(outcome)
    .fetch_one(&db.pool)
    .await?;
    let mut rows: Vec<DownloadRow> = sqlx::query_as(&format!(
        "SELECT a.actor, u.display_name, a.organisation_id, a.at, a.detail \
         FROM audit_events a LEFT JOIN users u ON u.id = a.actor \
         WHERE {WHERE} ORDER BY a.seq DESC LIMIT $5"
    ))
    .bind(mission_id)
    .bind(file_id)
    .bind(action)
    .bind(outcome)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.reverse();
    Ok((rows, total))
}

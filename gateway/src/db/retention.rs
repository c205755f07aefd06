//! Queries of the expiry sweeper: what is due, tombstones, warnings, certificates.

use super::files::{into_files, FileRow};
use super::{Db, DbError};
use crate::domain::{File, FileState, Mission};

/// Facts of a mission the destruction needs beyond [`Mission`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MissionDates {
    /// The end date set at creation.
    pub initial_ends_at: Option<i64>,
    /// When a manager closed it, if so.
    pub closed_at: Option<i64>,
    /// Who closed it (a user id), if someone did.
    pub closed_by: Option<String>,
    /// When its key was destroyed.
    pub key_destroyed_at: Option<i64>,
    /// When it reached `destroyed`.
    pub destroyed_at: Option<i64>,
}

/// The extra dates of a mission.
pub async fn dates(db: &Db, mission_id: &str) -> Result<Option<MissionDates>, DbError> {
    Ok(sqlx::query_as::<_, MissionDates>(
        "SELECT initial_ends_at, closed_at, closed_by, key_destroyed_at, destroyed_at FROM missions WHERE id = $1",
    )
    .bind(mission_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Ids of missions whose end has passed but that are still active or suspended.
pub async fn due_to_end(db: &Db, now_ms: i64) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar("SELECT id FROM missions WHERE status IN ('active', 'suspended') AND ends_at <= $1 ORDER BY ends_at")
        .bind(now_ms)
        .fetch_all(&db.pool)
        .await?)
}

/// Ids of ended missions (destruction in progress or results retained).
pub async fn ended(db: &Db) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM missions WHERE status = 'ended' ORDER BY ends_at")
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Stored files whose own expiry date has passed.
pub async fn expired_files(db: &Db, now_ms: i64) -> Result<Vec<(String, String)>, DbError> {
    Ok(sqlx::query_as("SELECT id, mission_id FROM files WHERE state = 'stored' AND expires_at IS NOT NULL AND expires_at <= $1")
        .bind(now_ms)
        .fetch_all(&db.pool)
        .await?)
}

/// Every file row of a mission, whatever its state.
pub async fn all_files(db: &Db, mission_id: &str) -> Result<Vec<File>, DbError> {
    into_files(
        sqlx::query_as::<_, FileRow>(&format!(
            "SELECT {} FROM files WHERE mission_id = $1 ORDER BY uploaded_at, id",
            super::files::COLUMNS
        ))
        .bind(mission_id)
        .fetch_all(&db.pool)
        .await?,
    )
}

/// Replaces a file row by its tombstone, in one transaction.
pub async fn bury(db: &Db, f: &File, now_ms: i64, reason: &str) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    if f.state == FileState::Stored {
        sqlx::query(
            "INSERT INTO file_tombstones (id, mission_id, folder, organisation_id, name, size, sha256, uploaded_by, \
             uploaded_at, released, destroyed_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&f.id)
        .bind(&f.mission_id)
        .bind(f.folder.as_str())
        .bind(&f.organisation_id)
        .bind(&f.name)
        .bind(f.size)
        .bind(&f.sha256)
        .bind(&f.uploaded_by)
        .bind(f.uploaded_at)
        .bind(i64::from(f.released))
        .bind(now_ms)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(&f.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A tombstone.
#[derive(Debug, Clone)]
pub struct TombstoneRow {
    /// File id.
    pub id: String,
    /// Folder.
    pub folder: String,
    /// Uploader's organisation.
    pub organisation_id: String,
    /// Display name.
    pub name: String,
    /// Size.
    pub size: i64,
    /// SHA-256.
    pub sha256: String,
    /// Uploader.
    pub uploaded_by: String,
    /// Upload instant.
    pub uploaded_at: i64,
    /// Released to recipients.
    pub released: bool,
    /// Destruction instant.
    pub destroyed_at: i64,
    /// Why.
    pub reason: String,
}

/// [`TombstoneRow`] as stored (`released` as 0 or 1).
#[derive(sqlx::FromRow)]
struct StoredTombstone {
    id: String,
    folder: String,
    organisation_id: String,
    name: String,
    size: i64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: i64,
    released: i64,
    destroyed_at: i64,
    reason: String,
}

impl From<StoredTombstone> for TombstoneRow {
    fn from(r: StoredTombstone) -> Self {
        Self {
            id: r.id,
            folder: r.folder,
            organisation_id: r.organisation_id,
            name: r.name,
            size: r.size,
            sha256: r.sha256,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
            released: r.released != 0,
            destroyed_at: r.destroyed_at,
            reason: r.reason,
        }
    }
}

/// The tombstones of a mission.
pub async fn tombstones(db: &Db, mission_id: &str) -> Result<Vec<TombstoneRow>, DbError> {
    Ok(sqlx::query_as::<_, StoredTombstone>(
        "SELECT id, folder, organisation_id, name, size, sha256, uploaded_by, uploaded_at, released, destroyed_at, reason \
         FROM file_tombstones WHERE mission_id = $1 ORDER BY uploaded_at, id",
    )
    .bind(mission_id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(TombstoneRow::from)
    .collect())
}

/// Sets a mission's status and the destruction dates (each date only once).
pub async fn set_state(
    db: &Db,
    m: &Mission,
    closed_at: Option<i64>,
    key_destroyed_at: Option<i64>,
    destroyed_at: Option<i64>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE missions SET status = $1, ends_at = $2, closed_at = COALESCE(closed_at, $3), \
         key_destroyed_at = COALESCE(key_destroyed_at, $4), destroyed_at = COALESCE(destroyed_at, $5) WHERE id = $6",
    )
    .bind(m.status.as_str())
    .bind(m.ends_at)
    .bind(closed_at)
    .bind(key_destroyed_at)
    .bind(destroyed_at)
    .bind(&m.id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Records who closed a mission (once: a later close cannot rewrite it).
pub async fn set_closed_by(db: &Db, mission_id: &str, user_id: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE missions SET closed_by = COALESCE(closed_by, $1) WHERE id = $2")
        .bind(user_id)
        .bind(mission_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records a warning as sent; `false` when it already was.
pub async fn mark_warning(
    db: &Db,
    mission_id: &str,
    kind: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query("INSERT INTO mission_warnings (mission_id, kind, sent_at) VALUES ($1, $2, $3) ON CONFLICT (mission_id, kind) DO NOTHING")
        .bind(mission_id)
        .bind(kind)
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Active missions ending before `until_ms`.
pub async fn ending_before(db: &Db, until_ms: i64) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM missions WHERE status IN ('active', 'suspended') AND ends_at <= $1",
    )
    .bind(until_ms)
    .fetch_all(&db.pool)
    .await?)
}

/// Stores a certificate; `false` when the mission already has one.
pub async fn insert_certificate(
    db: &Db,
    mission_id: &str,
    body: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query("INSERT INTO certificates (mission_id, body, issued_at) VALUES ($1, $2, $3) ON CONFLICT (mission_id) DO NOTHING")
        .bind(mission_id)
        .bind(body)
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// A mission's certificate.
pub async fn certificate(db: &Db, mission_id: &str) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT body FROM certificates WHERE mission_id = $1")
            .bind(mission_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Sets a file's own expiry date.
pub async fn set_file_expiry(
    db: &Db,
    file_id: &str,
    expires_at: Option<i64>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET expires_at = $1 WHERE id = $2")
        .bind(expires_at)
        .bind(file_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

//! The two steps of an upload that must not cross a mission's end: creating its row and
//! marking it stored. Each succeeds only while the mission is open (`active` or `suspended`),
//! and on PostgreSQL holds a share lock on the mission row until the caller is done, so that
//! the status change that starts a destruction waits for it (and every later step sees the end).

use super::files::COLUMNS;
use super::{Db, DbError, Engine};
use crate::domain::{CheckStatus, File};

/// A fenced step in progress: on PostgreSQL an open transaction holding the mission row.
pub struct Fenced {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

impl std::fmt::Debug for Fenced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fenced").finish_non_exhaustive()
    }
}

impl Fenced {
    /// Ends the step (commits its transaction).
    pub async fn done(self) -> Result<(), DbError> {
        if let Some(tx) = self.tx {
            tx.commit().await?;
        }
        Ok(())
    }
}

const OPEN: &str = "status IN ('active', 'suspended')";

/// Starts a fenced step: `None` when the mission is no longer open.
async fn begin(db: &Db, mission_id: &str) -> Result<Option<Fenced>, DbError> {
    if db.engine != Engine::Postgres {
        // SQLite: one writer at a time; each statement below checks the status itself.
        return Ok(Some(Fenced { tx: None }));
    }
    let mut tx = db.pool.begin().await?;
    let open: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM missions WHERE id = $1 AND {OPEN} FOR SHARE"
    ))
    .bind(mission_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(open.map(|_| Fenced { tx: Some(tx) }))
}

async fn run<'q>(
    db: &Db,
    fenced: &mut Fenced,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<bool, DbError> {
    let r = match fenced.tx.as_mut() {
        Some(tx) => query.execute(&mut **tx).await?,
        None => query.execute(&db.pool).await?,
    };
    Ok(super::changed(&r))
}

/// Inserts an upload's row in state `uploading` if its mission is open; `None` when it is not.
pub async fn insert_uploading(db: &Db, f: &File) -> Result<Option<Fenced>, DbError> {
    let Some(mut fenced) = begin(db, &f.mission_id).await? else {
        return Ok(None);
    };
    let sql = format!(
        "INSERT INTO files ({COLUMNS}) SELECT $1, $2, $3, $4, $5, 0, '', $6, $7, 0, NULL, NULL, 'uploading', NULL, NULL, NULL \
         WHERE EXISTS (SELECT 1 FROM missions WHERE id = $2 AND {OPEN})"
    );
    let query = sqlx::query(&sql)
        .bind(&f.id)
        .bind(&f.mission_id)
        .bind(f.folder.as_str())
        .bind(&f.organisation_id)
        .bind(&f.name)
        .bind(&f.uploaded_by)
        .bind(f.uploaded_at);
    Ok(run(db, &mut fenced, query).await?.then_some(fenced))
}

/// Marks an upload complete (size, digest, check verdict in one statement) if its row is still
/// `uploading` and its mission open; `None` when it is not.
pub async fn mark_stored(db: &Db, f: &File) -> Result<Option<Fenced>, DbError> {
    let Some(mut fenced) = begin(db, &f.mission_id).await? else {
        return Ok(None);
    };
    let sql = format!(
        "UPDATE files SET size = $1, sha256 = $2, state = 'stored', check_status = $3, check_report = $4 \
         WHERE id = $5 AND state = 'uploading' \
         AND EXISTS (SELECT 1 FROM missions m WHERE m.id = files.mission_id AND m.{OPEN})"
    );
    let query = sqlx::query(&sql)
        .bind(f.size)
        .bind(&f.sha256)
        .bind(f.check_status.map(CheckStatus::as_str))
        .bind(f.check_report.as_deref())
        .bind(&f.id);
    Ok(run(db, &mut fenced, query).await?.then_some(fenced))
}

/// Whether the mission is still open.
pub async fn is_open(db: &Db, mission_id: &str) -> Result<bool, DbError> {
    let open: Option<String> =
        sqlx::query_scalar(&format!("SELECT id FROM missions WHERE id = $1 AND {OPEN}"))
            .bind(mission_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(open.is_some())
}

/// The ids of a mission's file rows, whatever their state.
pub async fn file_ids(db: &Db, mission_id: &str) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM files WHERE mission_id = $1")
            .bind(mission_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

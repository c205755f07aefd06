//! The audit trail table: append under a lock, read in order, purge with an anchor.

use super::{Db, DbError, Engine};
use crate::domain::AuditEntry;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Executor};

/// One audit event as stored.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When (ms, UTC).
    pub at: i64,
    /// Acting user id; `None` for the gateway itself.
    pub actor: Option<String>,
    /// The actor's organisation.
    pub organisation_id: Option<String>,
    /// Source address.
    pub ip: Option<String>,
    /// What was done, e.g. `auth.login`.
    pub action: String,
    /// Mission concerned.
    pub mission_id: Option<String>,
    /// File concerned.
    pub file_id: Option<String>,
    /// Other target (a user id, an organisation id).
    pub target: Option<String>,
    /// `success`, `denied` or `failed`.
    pub outcome: String,
    /// Extra facts as JSON (never a secret).
    pub detail: Option<String>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = DbError;

    fn try_from(r: AuditRow) -> Result<Self, DbError> {
        Ok(Self {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            organisation_id: r.organisation_id,
            ip: r.ip,
            action: r.action.parse()?,
            mission_id: r.mission_id,
            file_id: r.file_id,
            target: r.target,
            outcome: r.outcome.parse()?,
            detail: r.detail,
        })
    }
}

/// Rows read back as entries (a word the domain does not know is refused).
pub(super) fn entries(rows: Vec<AuditRow>) -> Result<Vec<AuditEntry>, DbError> {
    rows.into_iter().map(AuditEntry::try_from).collect()
}

const COLUMNS: &str =
    "seq, at, actor, organisation_id, ip, action, mission_id, file_id, target, outcome, detail, prev_hash, hash";

/// The hash that precedes the first entry ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the stored chain starts: `(seq before the first stored row, hash of that row)`.
pub async fn anchor(db: &Db) -> Result<(i64, String), DbError> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_anchor WHERE id = 1")
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.unwrap_or((0, GENESIS.to_owned())))
}

async fn begin_exclusive(db: &Db, conn: &mut PoolConnection<Any>) -> Result<(), sqlx::Error> {
    match db.engine {
        // IMMEDIATE takes the write lock now, so reading the chain head and appending cannot interleave.
        Engine::Sqlite => conn.execute("BEGIN IMMEDIATE").await.map(|_| ()),
        Engine::Postgres => {
            conn.execute("BEGIN").await?;
            // One chain across every instance: appends are serialised by a transaction-scoped lock.
            conn.execute("SELECT pg_advisory_xact_lock(7273656375)")
                .await
                .map(|_| ())
        }
    }
}

/// Appends one entry: `build` receives the next sequence number and the previous hash and returns
/// the complete row. Runs as its own task so a cancelled request cannot leave a transaction open.
pub async fn append<F>(db: &Db, build: F) -> Result<AuditRow, DbError>
where
    F: FnOnce(i64, &str) -> AuditRow + Send + 'static,
{
    let db = db.clone();
    let task = tokio::spawn(async move {
        let mut conn = db.pool.acquire().await?;
        begin_exclusive(&db, &mut conn).await?;
        let result: Result<AuditRow, sqlx::Error> = async {
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *conn)
                    .await?;
            let (seq, prev) = match head {
                Some(h) => h,
                None => {
                    let a: Option<(i64, String)> =
                        sqlx::query_as("SELECT seq, hash FROM audit_anchor WHERE id = 1")
                            .fetch_optional(&mut *conn)
                            .await?;
                    a.unwrap_or((0, GENESIS.to_owned()))
                }
            };
            let row = build(seq + 1, &prev);
            sqlx::query(&format!(
                "INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ))
            .bind(row.seq)
            .bind(row.at)
            .bind(&row.actor)
            .bind(&row.organisation_id)
            .bind(&row.ip)
            .bind(&row.action)
            .bind(&row.mission_id)
            .bind(&row.file_id)
            .bind(&row.target)
            .bind(&row.outcome)
            .bind(&row.detail)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .execute(&mut *conn)
            .await?;
            Ok(row)
        }
        .await;
        match result {
            Ok(row) => {
                conn.execute("COMMIT").await?;
                Ok(row)
            }
            Err(e) => {
                if conn.execute("ROLLBACK").await.is_err() {
                    // A connection in an unknown transaction state must not go back to the pool.
                    drop(conn.detach());
                }
                Err(e)
            }
        }
    });
    match task.await {
        Ok(r) => r.map_err(DbError::Query),
        Err(join) => Err(DbError::Query(sqlx::Error::Protocol(format!(
            "audit append task failed: {join}"
        )))),
    }
}

/// Entries with `seq > after`, oldest first, at most `limit`.
pub async fn page(db: &Db, after: i64, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    Ok(sqlx::query_as::<_, AuditRow>(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Entries matching an optional mission, oldest first, as stored (with their hashes).
pub async fn list(
    db: &Db,
    mission_id: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    match mission_id {
        None => page(db, after, limit).await,
        Some(m) => Ok(sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT {COLUMNS} FROM audit_events WHERE mission_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(m)
        .bind(after)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?),
    }
}

/// [`list`], read as the domain's entries.
pub async fn list_entries(
    db: &Db,
    mission_id: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    entries(list(db, mission_id, after, limit).await?)
}

/// Deletes entries older than `before_ms`, moving the anchor to the last one deleted so that
/// verification of the remaining chain still starts from a known hash. Returns how many went.
pub async fn purge_before(db: &Db, before_ms: i64) -> Result<u64, DbError> {
    let mut tx = db.pool.begin().await?;
    // The chain is ordered by seq; entries are purged as a prefix of it.
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, hash FROM audit_events WHERE seq < (SELECT COALESCE(MIN(seq), 9223372036854775807) FROM audit_events WHERE at >= $1) \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(before_ms)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((seq, hash)) = last else {
        tx.commit().await?;
        return Ok(0);
    };
    sqlx::query(
        "INSERT INTO audit_anchor (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = $1, hash = $2",
    )
    .bind(seq)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    let r = sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
        .bind(seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(r.rows_affected())
}

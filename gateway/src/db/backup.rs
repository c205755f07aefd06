//! Portable table snapshots for backups: every column is TEXT or BIGINT, so rows travel as JSON
//! between SQLite and PostgreSQL.

use super::{Db, DbError, Engine};
use serde_json::{Map, Value};
use sqlx::{Column as _, Executor as _, Row as _};

/// The tables a backup keeps, parents before children. Sessions, login challenges and throttling
/// counters are left out on purpose: they are short-lived and tied to the running instance.
pub const TABLES: &[&str] = &[
    "organisations",
    "users",
    "passkeys",
    "recovery_codes",
    "charter_acceptances",
    "missions",
    "participants",
    "files",
    "file_tombstones",
    "mission_warnings",
    "certificates",
    "notification_settings",
    "notification_digest_items",
    "first_download_notices",
    "audit_anchor",
    "audit_events",
    "lockdown",
    "access_reviews_done",
];

/// Which columns of a table hold integers.
async fn integer_columns(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    table: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String, String)> = match engine {
        Engine::Sqlite => sqlx::query_as(&format!("SELECT name, type FROM pragma_table_info('{table}')")).fetch_all(&mut *conn).await?,
        Engine::Postgres => {
            sqlx::query_as("SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = $1")
                .bind(table)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter(|(_, t)| t.to_lowercase().contains("int"))
        .map(|(n, _)| n)
        .collect())
}

/// Why a streamed export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Writing the snapshot failed.
    #[error("writing the backup: {0}")]
    Write(#[from] std::io::Error),
}

impl From<sqlx::Error> for ExportError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// The id of an exported `missions` row whose blobs a backup keeps and a restore writes back:
/// one not destroyed (a destroyed mission has no key and keeps no blob).
pub(crate) fn live_mission(row: &Map<String, Value>) -> Option<&str> {
    let destroyed = crate::domain::MissionStatus::Destroyed.as_str();
    if row.get("status").and_then(Value::as_str) == Some(destroyed) {
        return None;
    }
    row.get("id").and_then(Value::as_str)
}

/// What a streamed export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exported {
    /// Rows written, every table together.
    pub rows: u64,
    /// The missions not destroyed, sorted: those whose blobs the backup keeps.
    pub live_missions: Vec<String>,
}

/// Writes a consistent snapshot of every kept table to `out` as one JSON document,
/// `{"table": {"integer_columns": [...], "rows": [{...}]}}`, row by row as the database yields
/// them: the memory it takes does not grow with the database (a million audit events included).
pub async fn export_to<W>(db: &Db, out: &mut W) -> Result<Exported, ExportError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut conn = db.pool.acquire().await?;
    // One read transaction: every table is read as of the same instant.
    match db.engine {
        Engine::Sqlite => conn.execute("BEGIN").await?,
        Engine::Postgres => {
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?
        }
    };
    let result = export_tables(&mut conn, db.engine, out).await;
    let _ = conn.execute("ROLLBACK").await;
    result
}

async fn export_tables<W>(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    out: &mut W,
) -> Result<Exported, ExportError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    use futures::TryStreamExt as _;
    use tokio::io::AsyncWriteExt as _;
    let mut done = Exported::default();
    let mut line = Vec::with_capacity(4096);
    out.write_all(b"{").await?;
    for (i, table) in TABLES.iter().enumerate() {
        let ints = integer_columns(conn, engine, table).await?;
        line.clear();
        if i > 0 {
            line.push(b',');
        }
        serde_json::to_writer(&mut line, table).map_err(std::io::Error::from)?;
        line.extend_from_slice(b":{\"integer_columns\":");
        serde_json::to_writer(&mut line, &ints).map_err(std::io::Error::from)?;
        line.extend_from_slice(b",\"rows\":[");
        out.write_all(&line).await?;
        let sql = format!("SELECT * FROM {table}");
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        let mut first = true;
        while let Some(row) = rows.try_next().await? {
            let mut obj = Map::new();
            for col in row.columns() {
                let name = col.name();
                let value = if ints.iter().any(|c| c == name) {
                    row.try_get::<Option<i64>, _>(col.ordinal())?
                        .map_or(Value::Null, Value::from)
                } else {
                    row.try_get::<Option<String>, _>(col.ordinal())?
                        .map_or(Value::Null, Value::from)
                };
                obj.insert(name.to_owned(), value);
            }
            if *table == "missions" {
                if let Some(id) = live_mission(&obj) {
                    done.live_missions.push(id.to_owned());
                }
            }
            line.clear();
            if !first {
                line.push(b',');
            }
            first = false;
            serde_json::to_writer(&mut line, &obj).map_err(std::io::Error::from)?;
            out.write_all(&line).await?;
            done.rows += 1;
        }
        out.write_all(b"]}").await?;
    }
    out.write_all(b"}").await?;
    out.flush().await?;
    done.live_missions.sort();
    Ok(done)
}

/// Loads a snapshot into an empty, migrated database, in one transaction.
pub async fn import(db: &Db, snapshot: &Value) -> Result<u64, DbError> {
    let mut tx = db.pool.begin().await?;
    let mut count = 0;
    for table in TABLES {
        let Some(t) = snapshot.get(*table) else {
            continue;
        };
        let ints: Vec<&str> = t["integer_columns"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for row in t["rows"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let Some(obj) = row.as_object() else { continue };
            let columns: Vec<&String> = obj.keys().collect();
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for c in &columns {
                let v = &obj[c.as_str()];
                q = if ints.contains(&c.as_str()) {
                    q.bind(v.as_i64())
                } else {
                    q.bind(v.as_str().map(str::to_owned))
                };
            }
            q.execute(&mut *tx).await?;
            count += 1;
        }
    }
    tx.commit().await?;
    Ok(count)
}

/// True when the database holds no account yet (a restore target must be empty).
pub async fn is_empty(db: &Db) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await?;
    Ok(n == 0)
}

/// The tables a backup leaves out, each for a reason: what lives only for minutes or hours (a
/// login, a session, a throttle count, an e-mailed link, a passkey ceremony, a queued message,
/// which may hold a link), the keys, which a backup never holds (`keys export` is apart), and the
/// log of scheduled backups (it describes the backups themselves, kept beside them).
pub const NOT_BACKED_UP: &[&str] = &[
    "auth_challenges",
    "sessions",
    "login_throttle",
    "mail_tokens",
    "passkey_registrations",
    "outgoing_mail",
    "key_records",
    "key_seal",
    "key_tombstones",
    "scheduled_backups",
];

#[cfg(test)]
mod tests {
    use super::{NOT_BACKED_UP, TABLES};

    // A table added by a migration must be backed up or left out on purpose: the passkeys table
    // was once forgotten, and a restore would have left passkey-only accounts with no second factor.
    #[test]
    fn every_table_is_backed_up_or_left_out_on_purpose() {
        let mut created = Vec::new();
        for m in crate::db::MIGRATOR.iter() {
            let sql = m.sql.to_string();
            let mut rest = sql.as_str();
            while let Some(at) = rest.find("CREATE TABLE ") {
                rest = &rest[at + "CREATE TABLE ".len()..];
                let name: String = rest
                    .trim_start_matches("IF NOT EXISTS ")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                created.push(name);
            }
        }
        assert!(created.len() >= 20, "{created:?}");
        for table in &created {
            assert!(
                TABLES.contains(&table.as_str()) || NOT_BACKED_UP.contains(&table.as_str()),
                "the table {table} is neither backed up nor left out on purpose"
            );
        }
        for table in TABLES.iter().chain(NOT_BACKED_UP) {
            assert!(created.iter().any(|c| c == table), "no table {table}");
        }
    }
}

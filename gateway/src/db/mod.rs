//! The database: one sqlx `Any` pool over SQLite or PostgreSQL, and the queries of each resource.
//!
//! Both engines run the same migrations; SQL here sticks to what both understand (`$N`
//! placeholders, TEXT and BIGINT columns).

pub mod audit;
pub mod audit_search;
pub mod auth;
pub mod backup;
pub mod charter;
pub mod files;
pub mod inactivity;
pub mod incident;
pub mod keys;
pub mod lockdown;
pub mod mail_tokens;
pub mod missions;
pub mod notifications;
pub mod orgs;
pub mod outgoing_mail;
pub mod passkeys;
pub mod receipts;
pub mod retention;
pub mod review;
pub mod scans;
pub mod scheduled_backups;
pub mod sessions;
pub mod upload_fence;
pub mod users;

use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// A database problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The database could not be reached or opened.
    #[error("the database {url} cannot be opened: {source}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The schema is newer than this build knows: a newer Passerelle migrated it.
    #[error("the database schema is newer than this version of Passerelle (migration {0} is unknown to it): run the newer version, or restore a matching backup")]
    NewerSchema(i64),
    /// Applying migrations failed.
    #[error("the database migrations failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A row holds a word this build does not know (a status, a role, …).
    #[error("database content error: {0}")]
    UnknownWord(#[from] crate::domain::UnknownWord),
}

/// Which engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite (single instance).
    Sqlite,
    /// PostgreSQL (one or several instances).
    Postgres,
}

/// The database handle shared by the services.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// The engine behind it.
    pub engine: Engine,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Db {
    /// Opens the database and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else {
            Engine::Postgres
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(if engine == Engine::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(15));
        if engine == Engine::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // secure_delete: deleted rows (wrapped keys, sessions) are zeroed, not left in free pages.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 10000; PRAGMA secure_delete = ON;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(url)
            .await
            .map_err(|source| DbError::Connect {
                url: redact(url),
                source,
            })?;
        let db = Db { pool, engine };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        match MIGRATOR.run(&self.pool).await {
            Ok(()) => Ok(()),
            Err(sqlx::migrate::MigrateError::VersionMissing(v)) => Err(DbError::NewerSchema(v)),
            Err(e) => Err(DbError::Migrate(e)),
        }
    }
}

/// True when a statement changed at least one row.
pub(crate) fn changed(r: &AnyQueryResult) -> bool {
    r.rows_affected() > 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://app:s3cret@db:5432/p"),
            "postgres://app@db:5432/p"
        );
        assert_eq!(
            super::redact("sqlite://./data/x.db"),
            "sqlite://./data/x.db"
        );
    }

    // Two branches once each added a migration with the same timestamp: sqlx applies both and
    // the second fails on `_sqlx_migrations`' primary key, so no database could be opened.
    #[test]
    fn every_migration_has_its_own_version() {
        let mut versions: Vec<i64> = super::MIGRATOR.iter().map(|m| m.version).collect();
        let count = versions.len();
        versions.sort_unstable();
        versions.dedup();
        assert_eq!(versions.len(), count, "two migrations share a version");
    }
}

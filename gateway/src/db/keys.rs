//! The key store in the database, shared by every instance: [`DbRecords`] keeps the wrapped
//! mission and service keys of [`storage::KeyStore`] in `key_records` (never a key in clear),
//! tombstones of destroyed keys in `key_tombstones`, and the id of the master key that seals
//! them in `key_seal`. None of these tables is part of `passerelle backup`.

use super::{Db, DbError, Engine};
use crate::clock::SharedClock;
use base64::Engine as _;
use futures::future::BoxFuture;
use rand::RngCore as _;
use std::path::PathBuf;
use storage::{KeyKind, KeyRecord, KeyRecords, StorageError};

/// Wrapped keys in the database.
#[derive(Debug, Clone)]
pub struct DbRecords {
    db: Db,
    clock: SharedClock,
}

fn fail(e: impl std::fmt::Display) -> StorageError {
    StorageError::io(
        "the key store in the database",
        std::io::Error::other(e.to_string()),
    )
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl DbRecords {
    /// The key store of `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    async fn load_row(&self, kind: KeyKind, name: &str) -> Result<Option<Vec<u8>>, DbError> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT wrapped FROM key_records WHERE kind = $1 AND name = $2")
                .bind(kind.as_str())
                .bind(name)
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(row.and_then(|w| b64().decode(w).ok()))
    }

    async fn insert_row(&self, r: &KeyRecord) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO key_records (kind, name, wrapped, updated_at) \
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS \
             (SELECT 1 FROM key_tombstones WHERE mission_id = $2 AND $1 = 'mission') \
             ON CONFLICT (kind, name) DO NOTHING",
        )
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(b64().encode(&r.wrapped))
        .bind(self.now())
        .execute(&self.db.pool)
        .await?;
        Ok(super::changed(&done))
    }

    async fn destroy_row(&self, name: &str) -> Result<(), DbError> {
        let mut noise = [0u8; 102];
        rand::rngs::OsRng.fill_bytes(&mut noise);
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "INSERT INTO key_tombstones (mission_id, destroyed_at) VALUES ($1, $2) \
             ON CONFLICT (mission_id) DO NOTHING",
        )
        .bind(name)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        // Overwrite, then delete: the row's last content is noise (SQLite's secure_delete then
        // zeroes the freed space).
        sqlx::query("UPDATE key_records SET wrapped = $1 WHERE kind = 'mission' AND name = $2")
            .bind(b64().encode(noise))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM key_records WHERE kind = 'mission' AND name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if self.db.engine == Engine::Sqlite {
            // Fold the write-ahead log (which still holds older page images) into the database
            // file and empty it. Best effort: a busy reader only delays it to the next one.
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.db.pool)
                .await;
        }
        Ok(())
    }

    async fn rewrap_rows(&self, records: &[KeyRecord], master_id: &str) -> Result<(), DbError> {
        let mut tx = self.db.pool.begin().await?;
        for r in records {
            sqlx::query(
                "UPDATE key_records SET wrapped = $1, updated_at = $2 WHERE kind = $3 AND name = $4",
            )
            .bind(b64().encode(&r.wrapped))
            .bind(self.now())
            .bind(r.kind.as_str())
            .bind(&r.name)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO key_seal (id, master_key_id, sealed_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET master_key_id = excluded.master_key_id, \
             sealed_at = excluded.sealed_at",
        )
        .bind(master_id)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn names(&self, sql: &str, kind: Option<KeyKind>) -> Result<Vec<String>, DbError> {
        let mut q = sqlx::query_scalar::<_, String>(sql);
        if let Some(kind) = kind {
            q = q.bind(kind.as_str());
        }
        Ok(q.fetch_all(&self.db.pool).await?)
    }

    /// True when the key store holds no record and no tombstone (a restore's target).
    pub async fn is_empty(&self) -> Result<bool, DbError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM key_records) + (SELECT COUNT(*) FROM key_tombstones)",
        )
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n == 0)
    }
}

impl KeyRecords for DbRecords {
    fn load<'a>(
        &'a self,
        kind: KeyKind,
        name: &'a str,
    ) -> BoxFuture<'a, storage::Result<Option<Vec<u8>>>> {
        Box::pin(async move { self.load_row(kind, name).await.map_err(fail) })
    }

    fn insert<'a>(&'a self, record: &'a KeyRecord) -> BoxFuture<'a, storage::Result<bool>> {
        Box::pin(async move { self.insert_row(record).await.map_err(fail) })
    }

    fn is_destroyed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, storage::Result<bool>> {
        Box::pin(async move {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM key_tombstones WHERE mission_id = $1")
                    .bind(name)
                    .fetch_one(&self.db.pool)
                    .await
                    .map_err(fail)?;
            Ok(n > 0)
        })
    }

    fn destroy<'a>(&'a self, name: &'a str) -> BoxFuture<'a, storage::Result<()>> {
        Box::pin(async move { self.destroy_row(name).await.map_err(fail) })
    }

    fn list(&self, kind: KeyKind) -> BoxFuture<'_, storage::Result<Vec<String>>> {
        Box::pin(async move {
            self.names(
                "SELECT name FROM key_records WHERE kind = $1 ORDER BY name",
                Some(kind),
            )
            .await
            .map_err(fail)
        })
    }

    fn destroyed(&self) -> BoxFuture<'_, storage::Result<Vec<String>>> {
        Box::pin(async move {
            self.names(
                "SELECT mission_id FROM key_tombstones ORDER BY mission_id",
                None,
            )
            .await
            .map_err(fail)
        })
    }

    fn rewrap<'a>(
        &'a self,
        records: &'a [KeyRecord],
        master_id: &'a str,
    ) -> BoxFuture<'a, storage::Result<()>> {
        Box::pin(async move { self.rewrap_rows(records, master_id).await.map_err(fail) })
    }

    fn location(&self, kind: KeyKind, name: &str) -> PathBuf {
        PathBuf::from(format!("key_records/{}/{name}", kind.as_str()))
    }
}

/// What the key seal says of a master key.
#[derive(Debug, PartialEq, Eq)]
pub enum Seal {
    /// The key store was sealed with this master key (now, if it was not sealed yet).
    Matches,
    /// The key store is sealed with another master key, whose id this is.
    Differs(String),
}

/// The id of the master key the key store is sealed with, if sealed yet.
pub async fn sealed_id(db: &Db) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT master_key_id FROM key_seal WHERE id = 1")
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Compares `master_id` with the master key the key store was sealed with, sealing it with
/// `master_id` if it was not sealed yet (first start, or first start after an upgrade).
pub async fn check_seal(db: &Db, master_id: &str, now_ms: i64) -> Result<Seal, DbError> {
    sqlx::query(
        "INSERT INTO key_seal (id, master_key_id, sealed_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(master_id)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    let sealed: String = sqlx::query_scalar("SELECT master_key_id FROM key_seal WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok(if sealed == master_id {
        Seal::Matches
    } else {
        Seal::Differs(sealed)
    })
}

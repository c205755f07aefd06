//! Notification choices, the hourly digests waiting to be sent, and the first-download notices
//! already sent.

use super::{Db, DbError};

/// A person's stored choices: the kinds switched off (stable names) and the digest option.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Stable names of the kinds switched off.
    pub disabled_kinds: Vec<String>,
    /// Gathers a mission's messages into one per hour.
    pub digest: bool,
}

/// A person's choices (the defaults when never changed).
pub async fn settings(db: &Db, user_id: &str) -> Result<Settings, DbError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT disabled_kinds, digest FROM notification_settings WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row
        .map(|(kinds, digest)| Settings {
            disabled_kinds: kinds
                .split(',')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            digest: digest != 0,
        })
        .unwrap_or_default())
}

/// Stores a person's choices.
pub async fn save(db: &Db, user_id: &str, s: &Settings, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO notification_settings (user_id, disabled_kinds, digest, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
         disabled_kinds = excluded.disabled_kinds, digest = excluded.digest, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(s.disabled_kinds.join(","))
    .bind(i64::from(s.digest))
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One message waiting for a digest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestItem {
    /// Row id.
    pub id: String,
    /// The person.
    pub user_id: String,
    /// The mission.
    pub mission_id: String,
    /// The kind's stable name.
    pub kind: String,
    /// When it was queued (ms).
    pub created_at: i64,
    /// French text.
    pub body_fr: String,
    /// English text.
    pub body_en: String,
}

/// Queues one message for a person's digest of a mission.
pub async fn queue(db: &Db, item: &DigestItem) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO notification_digest_items (id, user_id, mission_id, kind, created_at, body_fr, body_en) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&item.id)
    .bind(&item.user_id)
    .bind(&item.mission_id)
    .bind(&item.kind)
    .bind(item.created_at)
    .bind(&item.body_fr)
    .bind(&item.body_en)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The (person, mission) pairs whose oldest waiting message was queued at or before `due_ms`.
pub async fn due_digests(db: &Db, due_ms: i64) -> Result<Vec<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT user_id, mission_id FROM notification_digest_items GROUP BY user_id, mission_id \
         HAVING MIN(created_at) <= $1 ORDER BY MIN(created_at)",
    )
    .bind(due_ms)
    .fetch_all(&db.pool)
    .await?)
}

/// Takes the waiting messages of one person and mission (oldest first): they are removed, so
/// that two sweeps never send them twice.
pub async fn take_digest(
    db: &Db,
    user_id: &str,
    mission_id: &str,
) -> Result<Vec<DigestItem>, DbError> {
    let items: Vec<DigestItem> = sqlx::query_as(
        "SELECT id, user_id, mission_id, kind, created_at, body_fr, body_en \
         FROM notification_digest_items WHERE user_id = $1 AND mission_id = $2 ORDER BY created_at, id",
    )
    .bind(user_id)
    .bind(mission_id)
    .fetch_all(&db.pool)
    .await?;
    let mut taken = Vec::with_capacity(items.len());
    for item in items {
        let gone = sqlx::query("DELETE FROM notification_digest_items WHERE id = $1")
            .bind(&item.id)
            .execute(&db.pool)
            .await?;
        if gone.rows_affected() == 1 {
            taken.push(item);
        }
    }
    Ok(taken)
}

/// Marks the first download of a deposit as told; `false` when it already was.
pub async fn mark_first_download(db: &Db, file_id: &str, now_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO first_download_notices (file_id, sent_at) VALUES ($1, $2) ON CONFLICT (file_id) DO NOTHING",
    )
    .bind(file_id)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

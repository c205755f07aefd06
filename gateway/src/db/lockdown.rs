//! The platform's lockdown: one row shared by every instance.

use super::{Db, DbError};

/// The lockdown row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockdownRow {
    /// The service is locked down.
    pub active: bool,
    /// Why (as given when it was last turned on or off).
    pub reason: String,
    /// When it last changed (ms; 0 when it never did).
    pub changed_at: i64,
    /// Who changed it last (a user id; `None` from the command line).
    pub changed_by: Option<String>,
}

/// The lockdown as it stands (off when the row is missing).
pub async fn get(db: &Db) -> Result<LockdownRow, DbError> {
    let row: Option<(i64, String, i64, Option<String>)> =
        sqlx::query_as("SELECT active, reason, changed_at, changed_by FROM lockdown WHERE id = 1")
            .fetch_optional(&db.pool)
            .await?;
    Ok(match row {
        Some((active, reason, changed_at, changed_by)) => LockdownRow {
            active: active != 0,
            reason,
            changed_at,
            changed_by,
        },
        None => LockdownRow {
            active: false,
            reason: String::new(),
            changed_at: 0,
            changed_by: None,
        },
    })
}

/// Turns the lockdown on or off; `false` when it already was in that state (nothing changed).
pub async fn set(
    db: &Db,
    active: bool,
    reason: &str,
    now_ms: i64,
    by: Option<&str>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO lockdown (id, active, reason, changed_at, changed_by) VALUES (1, $1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET active = excluded.active, reason = excluded.reason, \
         changed_at = excluded.changed_at, changed_by = excluded.changed_by \
         WHERE lockdown.active <> excluded.active",
    )
    .bind(i64::from(active))
    .bind(reason)
    .bind(now_ms)
    .bind(by)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

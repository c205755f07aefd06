//! Inactive accounts and the yearly access review record.

use super::{Db, DbError};

/// An enabled account, with what tells how long it has been unused.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    /// Opaque id.
    pub id: String,
    /// Name shown to others.
    pub display_name: String,
    /// E-mail address.
    pub email: String,
    /// The account's organisation.
    pub organisation_id: String,
    /// A platform administrator (0 or 1).
    pub platform_admin: i64,
    /// Creation (ms).
    pub created_at: i64,
    /// Last completed login (ms).
    pub last_login_at: Option<i64>,
    /// Last enabled again by an administrator (ms).
    pub enabled_at: Option<i64>,
    /// Last inactivity warning (ms).
    pub inactivity_warned_at: Option<i64>,
}

impl ActivityRow {
    /// The last sign of use: a login, being enabled again, or the creation.
    pub fn last_use(&self) -> i64 {
        self.created_at
            .max(self.last_login_at.unwrap_or(0))
            .max(self.enabled_at.unwrap_or(0))
    }
}

/// Every enabled account.
pub async fn enabled(db: &Db) -> Result<Vec<ActivityRow>, DbError> {
    Ok(sqlx::query_as::<_, ActivityRow>(
        "SELECT id, display_name, email, organisation_id, platform_admin, created_at, last_login_at, \
         enabled_at, inactivity_warned_at FROM users WHERE disabled = 0 ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// The account is still unused since `last_use` (no login and no enabling since): the condition
/// every inactivity change is made under, so a login between the sweeper's reading and its
/// change wins.
const STILL_UNUSED: &str =
    "disabled = 0 AND created_at <= $2 AND COALESCE(last_login_at, 0) <= $2 \
     AND COALESCE(enabled_at, 0) <= $2";

/// Claims the warning of `id`, unused since `last_use` and not yet warned since: `false` when
/// another instance (or a login) got there first. The claim comes before the e-mail, so two
/// sweepers never send it twice.
pub async fn claim_warning(db: &Db, id: &str, last_use: i64, now_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(&format!(
        "UPDATE users SET inactivity_warned_at = $3 WHERE id = $1 AND {STILL_UNUSED} \
         AND (inactivity_warned_at IS NULL OR inactivity_warned_at < $2)"
    ))
    .bind(id)
    .bind(last_use)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Disables `id` for inactivity if it is still unused since `last_use`, ending its sessions; a
/// platform administrator only while another enabled one remains. `false` when nothing was done.
/// With PostgreSQL the check and the change are serialised across instances by a
/// transaction-scoped lock, so two sweepers cannot each disable one of the last two admins.
pub async fn disable_inactive(db: &Db, id: &str, last_use: i64) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    if db.engine == super::Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7273656376)")
            .execute(&mut *tx)
            .await?;
    }
    let r = sqlx::query(&format!(
        "UPDATE users SET disabled = 1 WHERE id = $1 AND {STILL_UNUSED} \
         AND (platform_admin = 0 OR (SELECT COUNT(*) FROM users o \
              WHERE o.platform_admin = 1 AND o.disabled = 0 AND o.id <> $1) > 0)"
    ))
    .bind(id)
    .bind(last_use)
    .execute(&mut *tx)
    .await?;
    let done = super::changed(&r);
    if done {
        super::users::end_sessions(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Starts `id`'s inactivity afresh: enabled again at `now_ms`, no warning pending.
pub async fn set_enabled_at(db: &Db, id: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET enabled_at = $1, inactivity_warned_at = NULL WHERE id = $2")
        .bind(now_ms)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// One recorded yearly review, with the names the page and the export show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewDoneRow {
    /// The organisation's name.
    pub organisation: String,
    /// The reviewer's name.
    pub reviewer: String,
    /// When (ms).
    pub reviewed_at: i64,
    /// What was changed, in the reviewer's words.
    pub changes: String,
}

/// Records a review of `organisation_id`.
pub async fn insert_review_done(
    db: &Db,
    id: &str,
    organisation_id: &str,
    reviewed_by: &str,
    now_ms: i64,
    changes: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO access_reviews_done (id, organisation_id, reviewed_by, reviewed_at, changes) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(organisation_id)
    .bind(reviewed_by)
    .bind(now_ms)
    .bind(changes)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every recorded review, newest first.
pub async fn reviews_done(db: &Db) -> Result<Vec<ReviewDoneRow>, DbError> {
    Ok(sqlx::query_as::<_, ReviewDoneRow>(
        "SELECT o.name AS organisation, u.display_name AS reviewer, r.reviewed_at, r.changes \
         FROM access_reviews_done r JOIN organisations o ON o.id = r.organisation_id \
         JOIN users u ON u.id = r.reviewed_by ORDER BY r.reviewed_at DESC, o.name",
    )
    .fetch_all(&db.pool)
    .await?)
}

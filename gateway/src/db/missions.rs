//! Missions and their participants.

use super::{Db, DbError};

/// A mission row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MissionRow {
    /// Opaque id (also the key id in the key store).
    pub id: String,
    /// Name.
    pub name: String,
    /// The purpose ("finalité") of the convention.
    pub purpose: String,
    /// The organisation that owns the data.
    pub controller_organisation_id: String,
    /// End of the mission (ms).
    pub ends_at: i64,
    /// Until when released results are kept (ms).
    pub results_retained_until: Option<i64>,
    /// active, suspended, ended or destroyed.
    pub status: String,
    /// Access window as JSON, if any.
    pub access_window: Option<String>,
}

const COLUMNS: &str =
    "id, name, purpose, controller_organisation_id, ends_at, results_retained_until, status, access_window";

/// Inserts a mission.
pub async fn insert(db: &Db, m: &MissionRow, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO missions ({COLUMNS}, created_at, initial_ends_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5)"
    ))
    .bind(&m.id)
    .bind(&m.name)
    .bind(&m.purpose)
    .bind(&m.controller_organisation_id)
    .bind(m.ends_at)
    .bind(m.results_retained_until)
    .bind(&m.status)
    .bind(&m.access_window)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One mission.
pub async fn get(db: &Db, id: &str) -> Result<Option<MissionRow>, DbError> {
    Ok(
        sqlx::query_as::<_, MissionRow>(&format!("SELECT {COLUMNS} FROM missions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every mission, most recent end first.
pub async fn list_all(db: &Db) -> Result<Vec<MissionRow>, DbError> {
    Ok(sqlx::query_as::<_, MissionRow>(&format!(
        "SELECT {COLUMNS} FROM missions ORDER BY ends_at, name"
    ))
    .fetch_all(&db.pool)
    .await?)
}

/// The missions a user takes part in.
pub async fn list_for_user(db: &Db, user_id: &str) -> Result<Vec<MissionRow>, DbError> {
    Ok(sqlx::query_as::<_, MissionRow>(&format!(
        "SELECT {COLUMNS} FROM missions WHERE id IN (SELECT mission_id FROM participants WHERE user_id = $1) ORDER BY ends_at, name"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Saves the mutable fields of a mission.
pub async fn update(db: &Db, m: &MissionRow) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE missions SET ends_at = $1, results_retained_until = $2, status = $3, access_window = $4 WHERE id = $5",
    )
    .bind(m.ends_at)
    .bind(m.results_retained_until)
    .bind(&m.status)
    .bind(&m.access_window)
    .bind(&m.id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A participant's role, with the user's name and organisation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipantRow {
    /// The user.
    pub user_id: String,
    /// Name shown to others.
    pub display_name: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// One role.
    pub role: String,
    /// When it was granted (ms).
    pub added_at: i64,
    /// Who granted it (none for grants older than this record).
    pub granted_by: Option<String>,
    /// That person's name.
    pub granted_by_name: Option<String>,
}

/// Every (user, role) of a mission.
pub async fn participants(db: &Db, mission_id: &str) -> Result<Vec<ParticipantRow>, DbError> {
    Ok(sqlx::query_as::<_, ParticipantRow>(
        "SELECT p.user_id, u.display_name, u.organisation_id, p.role, p.added_at, p.granted_by, \
         g.display_name AS granted_by_name FROM participants p \
         JOIN users u ON u.id = p.user_id LEFT JOIN users g ON g.id = p.granted_by \
         WHERE p.mission_id = $1 ORDER BY u.display_name, p.user_id, p.role",
    )
    .bind(mission_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The roles a user holds in a mission.
pub async fn roles_of(db: &Db, mission_id: &str, user_id: &str) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT role FROM participants WHERE mission_id = $1 AND user_id = $2 ORDER BY role",
    )
    .bind(mission_id)
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Gives a user a role; `false` when it already had it.
pub async fn add_participant(
    db: &Db,
    mission_id: &str,
    user_id: &str,
    role: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    grant(db, mission_id, user_id, role, now_ms, None).await
}

/// Gives a user a role, recording who granted it; `false` when it already had it.
pub async fn grant(
    db: &Db,
    mission_id: &str,
    user_id: &str,
    role: &str,
    now_ms: i64,
    granted_by: Option<&str>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO participants (mission_id, user_id, role, added_at, granted_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (mission_id, user_id, role) DO NOTHING",
    )
    .bind(mission_id)
    .bind(user_id)
    .bind(role)
    .bind(now_ms)
    .bind(granted_by)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Removes every role of a user; `false` when it had none.
pub async fn remove_participant(db: &Db, mission_id: &str, user_id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM participants WHERE mission_id = $1 AND user_id = $2")
        .bind(mission_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

//! Missions and their participants.

use super::{Db, DbError};
use crate::domain::{Mission, Participant, Role, UnknownWord};

/// A mission row as stored, turned into a [`Mission`] by [`MissionRow::into_mission`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MissionRow {
    id: String,
    name: String,
    purpose: String,
    controller_organisation_id: String,
    ends_at: i64,
    results_retained_until: Option<i64>,
    status: String,
    access_window: Option<String>,
}

impl MissionRow {
    /// The mission, its status parsed.
    pub(crate) fn into_mission(self) -> Result<Mission, UnknownWord> {
        Ok(Mission {
            status: self.status.parse()?,
            id: self.id,
            name: self.name,
            purpose: self.purpose,
            controller_organisation_id: self.controller_organisation_id,
            ends_at: self.ends_at,
            results_retained_until: self.results_retained_until,
            access_window: self.access_window,
        })
    }
}

fn into_missions(rows: Vec<MissionRow>) -> Result<Vec<Mission>, DbError> {
    rows.into_iter()
        .map(|r| r.into_mission().map_err(DbError::from))
        .collect()
}

const COLUMNS: &str =
    "id, name, purpose, controller_organisation_id, ends_at, results_retained_until, status, access_window";

/// Inserts a mission.
pub async fn insert(db: &Db, m: &Mission, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO missions ({COLUMNS}, created_at, initial_ends_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5)"
    ))
    .bind(&m.id)
    .bind(&m.name)
    .bind(&m.purpose)
    .bind(&m.controller_organisation_id)
    .bind(m.ends_at)
    .bind(m.results_retained_until)
    .bind(m.status.as_str())
    .bind(&m.access_window)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One mission.
pub async fn get(db: &Db, id: &str) -> Result<Option<Mission>, DbError> {
    let row =
        sqlx::query_as::<_, MissionRow>(&format!("SELECT {COLUMNS} FROM missions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(MissionRow::into_mission).transpose()?)
}

/// Every mission, most recent end first.
pub async fn list_all(db: &Db) -> Result<Vec<Mission>, DbError> {
    into_missions(
        sqlx::query_as::<_, MissionRow>(&format!(
            "SELECT {COLUMNS} FROM missions ORDER BY ends_at, name"
        ))
        .fetch_all(&db.pool)
        .await?,
    )
}

/// The missions a user takes part in.
pub async fn list_for_user(db: &Db, user_id: &str) -> Result<Vec<Mission>, DbError> {
    into_missions(sqlx::query_as::<_, MissionRow>(&format!(
        "SELECT {COLUMNS} FROM missions WHERE id IN (SELECT mission_id FROM participants WHERE user_id = $1) ORDER BY ends_at, name"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Saves the mutable fields of a running mission; `false` when the mission is no longer running
/// (closed or ended since it was read: a concurrent edit must not bring it back).
pub async fn update(db: &Db, m: &Mission) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE missions SET ends_at = $1, results_retained_until = $2, status = $3, access_window = $4 \
         WHERE id = $5 AND status IN ('active', 'suspended')",
    )
    .bind(m.ends_at)
    .bind(m.results_retained_until)
    .bind(m.status.as_str())
    .bind(&m.access_window)
    .bind(&m.id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// A participant row as stored, turned into a [`Participant`].
#[derive(Debug, Clone, sqlx::FromRow)]
struct ParticipantRow {
    user_id: String,
    display_name: String,
    organisation_id: String,
    role: String,
    added_at: i64,
    granted_by: Option<String>,
    granted_by_name: Option<String>,
}

impl ParticipantRow {
    fn into_participant(self) -> Result<Participant, DbError> {
        Ok(Participant {
            role: self.role.parse()?,
            user_id: self.user_id,
            display_name: self.display_name,
            organisation_id: self.organisation_id,
            added_at: self.added_at,
            granted_by: self.granted_by,
            granted_by_name: self.granted_by_name,
        })
    }
}

/// Every (user, role) of a mission.
pub async fn participants(db: &Db, mission_id: &str) -> Result<Vec<Participant>, DbError> {
    let rows = sqlx::query_as::<_, ParticipantRow>(
        "SELECT p.user_id, u.display_name, u.organisation_id, p.role, p.added_at, p.granted_by, \
         g.display_name AS granted_by_name FROM participants p \
         JOIN users u ON u.id = p.user_id LEFT JOIN users g ON g.id = p.granted_by \
         WHERE p.mission_id = $1 ORDER BY u.display_name, p.user_id, p.role",
    )
    .bind(mission_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(ParticipantRow::into_participant)
        .collect()
}

/// The roles a user holds in a mission.
pub async fn roles_of(db: &Db, mission_id: &str, user_id: &str) -> Result<Vec<Role>, DbError> {
    let words: Vec<String> = sqlx::query_scalar(
        "SELECT role FROM participants WHERE mission_id = $1 AND user_id = $2 ORDER BY role",
    )
    .bind(mission_id)
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(words
        .iter()
        .map(|w| w.parse())
        .collect::<Result<_, UnknownWord>>()?)
}

/// Gives a user a role; `false` when it already had it.
pub async fn add_participant(
    db: &Db,
    mission_id: &str,
    user_id: &str,
    role: Role,
    now_ms: i64,
) -> Result<bool, DbError> {
    grant(db, mission_id, user_id, role, now_ms, None).await
}

/// Gives a user a role, recording who granted it; `false` when it already had it.
pub async fn grant(
    db: &Db,
    mission_id: &str,
    user_id: &str,
    role: Role,
    now_ms: i64,
    granted_by: Option<&str>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO participants (mission_id, user_id, role, added_at, granted_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (mission_id, user_id, role) DO NOTHING",
    )
    .bind(mission_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now_ms)
    .bind(granted_by)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Takes one role from a user; `false` when it did not hold it.
pub async fn remove_role(
    db: &Db,
    mission_id: &str,
    user_id: &str,
    role: Role,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "DELETE FROM participants WHERE mission_id = $1 AND user_id = $2 AND role = $3",
    )
    .bind(mission_id)
    .bind(user_id)
    .bind(role.as_str())
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

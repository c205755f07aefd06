//! Organisations: bailleurs, EPCI, consultancies and others.

use super::{Db, DbError};
use crate::domain::{Organisation, OrganisationKind};

/// An organisation row as stored, turned into an [`Organisation`].
#[derive(Debug, Clone, sqlx::FromRow)]
struct OrgRow {
    id: String,
    name: String,
    kind: String,
}

impl OrgRow {
    fn into_organisation(self) -> Result<Organisation, DbError> {
        Ok(Organisation {
            kind: self.kind.parse()?,
            id: self.id,
            name: self.name,
        })
    }
}

/// Inserts an organisation; `Ok(false)` when the name is taken.
pub async fn insert(
    db: &Db,
    id: &str,
    name: &str,
    kind: OrganisationKind,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
    )
    .bind(id)
    .bind(name)
    .bind(kind.as_str())
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Changes an organisation's name and kind; `Ok(None)` when no organisation has this id,
/// `Ok(Some(false))` when another one already has the name.
pub async fn update(
    db: &Db,
    id: &str,
    name: &str,
    kind: OrganisationKind,
) -> Result<Option<bool>, DbError> {
    if get(db, id).await?.is_none() {
        return Ok(None);
    }
    if by_name(db, name).await?.is_some_and(|o| o.id != id) {
        return Ok(Some(false));
    }
    let r = sqlx::query("UPDATE organisations SET name = $1, kind = $2 WHERE id = $3")
        .bind(name)
        .bind(kind.as_str())
        .bind(id)
        .execute(&db.pool)
        .await;
    match r {
        Ok(r) => Ok(Some(super::changed(&r))),
        // A concurrent rename to the same name: the unique index refuses it.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Some(false)),
        Err(e) => Err(e.into()),
    }
}

/// How many depositor or processor roles the organisation's members hold in missions not yet
/// destroyed.
pub async fn members_with_raw_data_roles(db: &Db, id: &str) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM participants p JOIN users u ON u.id = p.user_id \
         JOIN missions m ON m.id = p.mission_id WHERE u.organisation_id = $1 \
         AND p.role IN ('depositor', 'processor') AND m.status <> 'destroyed'",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?)
}

/// Every organisation, by name.
pub async fn list(db: &Db) -> Result<Vec<Organisation>, DbError> {
    sqlx::query_as::<_, OrgRow>("SELECT id, name, kind FROM organisations ORDER BY name")
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(OrgRow::into_organisation)
        .collect()
}

/// One organisation by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Organisation>, DbError> {
    sqlx::query_as::<_, OrgRow>("SELECT id, name, kind FROM organisations WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .map(OrgRow::into_organisation)
        .transpose()
}

/// One organisation by exact name.
pub async fn by_name(db: &Db, name: &str) -> Result<Option<Organisation>, DbError> {
    sqlx::query_as::<_, OrgRow>("SELECT id, name, kind FROM organisations WHERE name = $1")
        .bind(name)
        .fetch_optional(&db.pool)
        .await?
        .map(OrgRow::into_organisation)
        .transpose()
}

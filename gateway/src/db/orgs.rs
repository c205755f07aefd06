//! Organisations: bailleurs, EPCI, consultancies and others.

use super::{Db, DbError};

/// An organisation row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    /// Opaque id.
    pub id: String,
    /// Display name, unique.
    pub name: String,
    /// `bailleur`, `epci`, `consultancy` or `other`.
    pub kind: String,
}

/// Inserts an organisation; `Ok(false)` when the name is taken.
pub async fn insert(
    db: &Db,
    id: &str,
    name: &str,
    kind: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
    )
    .bind(id)
    .bind(name)
    .bind(kind)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Every organisation, by name.
pub async fn list(db: &Db) -> Result<Vec<OrgRow>, DbError> {
    Ok(
        sqlx::query_as::<_, OrgRow>("SELECT id, name, kind FROM organisations ORDER BY name")
            .fetch_all(&db.pool)
            .await?,
    )
}

/// One organisation by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<OrgRow>, DbError> {
    Ok(
        sqlx::query_as::<_, OrgRow>("SELECT id, name, kind FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// One organisation by exact name.
pub async fn by_name(db: &Db, name: &str) -> Result<Option<OrgRow>, DbError> {
    Ok(
        sqlx::query_as::<_, OrgRow>("SELECT id, name, kind FROM organisations WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?,
    )
}

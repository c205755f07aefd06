//! The access review's queries: every account with its organisation and dates, and every live
//! participation.

use super::{Db, DbError};

/// An account as the access review shows it.
#[derive(Debug, Clone)]
pub struct ReviewAccountRow {
    /// Opaque id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// The organisation's name.
    pub organisation: String,
    /// A platform administrator.
    pub platform_admin: bool,
    /// Disabled.
    pub disabled: bool,
    /// When the account was created (ms).
    pub created_at: i64,
    /// Last completed login (ms).
    pub last_login_at: Option<i64>,
}

/// [`ReviewAccountRow`] as stored (flags as 0 or 1).
#[derive(sqlx::FromRow)]
struct StoredAccount {
    id: String,
    username: String,
    display_name: String,
    organisation: String,
    platform_admin: i64,
    disabled: i64,
    created_at: i64,
    last_login_at: Option<i64>,
}

impl From<StoredAccount> for ReviewAccountRow {
    fn from(r: StoredAccount) -> Self {
        Self {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            organisation: r.organisation,
            platform_admin: r.platform_admin != 0,
            disabled: r.disabled != 0,
            created_at: r.created_at,
            last_login_at: r.last_login_at,
        }
    }
}

/// Every account, by organisation then login name.
pub async fn accounts(db: &Db) -> Result<Vec<ReviewAccountRow>, DbError> {
    Ok(sqlx::query_as::<_, StoredAccount>(
        "SELECT u.id, u.username, u.display_name, o.name AS organisation, u.platform_admin, \
         u.disabled, u.created_at, u.last_login_at FROM users u \
         JOIN organisations o ON o.id = u.organisation_id ORDER BY o.name, u.username",
    )
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(ReviewAccountRow::from)
    .collect())
}

/// One role of one user in a mission that is not destroyed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipationRow {
    /// The user.
    pub user_id: String,
    /// The mission.
    pub mission_id: String,
    /// Its name.
    pub mission_name: String,
    /// Its status (`active`, `suspended`, `ended`).
    pub status: String,
    /// The role.
    pub role: String,
}

/// Every role held in a mission not yet destroyed (a destroyed mission gives no access), by
/// mission name then role.
pub async fn participations(db: &Db) -> Result<Vec<ParticipationRow>, DbError> {
    Ok(sqlx::query_as::<_, ParticipationRow>(
        "SELECT p.user_id, p.mission_id, m.name AS mission_name, m.status, p.role \
         FROM participants p JOIN missions m ON m.id = p.mission_id \
         WHERE m.status <> 'destroyed' ORDER BY m.name, p.mission_id, p.role",
    )
    .fetch_all(&db.pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::missions;
    use crate::db::{orgs, users};
    use crate::domain::{Mission, MissionStatus, OrganisationKind, Role};

    #[tokio::test]
    async fn accounts_and_live_participations() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.unwrap();
        orgs::insert(&db, "o1", "Habitat Sud", OrganisationKind::Bailleur, 0)
            .await
            .unwrap();
        for (id, name) in [("u1", "marie"), ("u2", "alain")] {
            users::insert(
                &db,
                &users::NewUser {
                    id,
                    username: name,
                    display_name: name,
                    email: "x@example.fr",
                    organisation_id: "o1",
                    platform_admin: id == "u2",
                    password_hash: "h",
                },
                1_000,
            )
            .await
            .unwrap();
        }
        users::touch_login(&db, "u1", 5_000).await.unwrap();
        for (id, name, status) in [
            ("m1", "Étude A", MissionStatus::Active),
            ("m2", "Étude B", MissionStatus::Destroyed),
        ] {
            missions::insert(
                &db,
                &Mission {
                    id: id.into(),
                    name: name.into(),
                    purpose: "p".into(),
                    controller_organisation_id: "o1".into(),
                    ends_at: 10_000,
                    results_retained_until: None,
                    status,
                    access_window: None,
                },
                0,
            )
            .await
            .unwrap();
            missions::add_participant(&db, id, "u1", Role::Depositor, 0)
                .await
                .unwrap();
        }
        missions::add_participant(&db, "m1", "u1", Role::Manager, 0)
            .await
            .unwrap();

        let found = accounts(&db).await.unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].username, "alain");
        assert!(found[0].platform_admin);
        assert_eq!(found[0].last_login_at, None);
        assert_eq!(found[0].created_at, 1_000);
        assert_eq!(found[1].organisation, "Habitat Sud");
        assert_eq!(found[1].last_login_at, Some(5_000));

        let roles: Vec<(String, String)> = participations(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.mission_name, p.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("Étude A".to_owned(), "depositor".to_owned()),
                ("Étude A".to_owned(), "manager".to_owned())
            ]
        );
    }
}

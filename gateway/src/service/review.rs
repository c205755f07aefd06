//! The access review (every account, its missions, roles and last login, inactive accounts
//! flagged) and the list of destroyed missions, for platform administrators.

use super::permissions::Role;
use super::{Actor, Core, Result};
use crate::clock::to_millis;
use crate::db::missions as missions_db;
use crate::db::review::{self as store, ReviewAccountRow};
use crate::db::{orgs, retention};
use crate::domain::Mission;
use std::collections::HashMap;

/// An enabled account without a login for this many days or more is flagged in the review.
pub const INACTIVE_AFTER_DAYS: i64 = 90;

/// The header of the access review's CSV export (do not rename: spreadsheets read these columns).
pub const REVIEW_CSV_HEADER: &str = "identifiant;nom;organisme;etat;administrateur_plateforme;missions_et_roles;derniere_connexion;jours_sans_connexion;inactif_90_jours";

/// The header of the yearly reviews' part of the same export, after an empty line (do not rename).
pub const REVIEW_DONE_CSV_HEADER: &str =
    "revue_faite_organisme;revue_faite_le;revue_faite_par;changements";

const DAY_MS: i64 = 86_400_000;

/// One mission of a reviewed account, with the account's roles in it.
#[derive(Debug, Clone)]
pub struct ReviewedMission {
    /// Mission id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its status (`active`, `suspended`, `ended`).
    pub status: String,
    /// The account's roles in it.
    pub roles: Vec<Role>,
}

/// One account of the access review.
#[derive(Debug, Clone)]
pub struct ReviewedAccount {
    /// The account.
    pub account: ReviewAccountRow,
    /// Its missions (destroyed ones excluded: they give no access).
    pub missions: Vec<ReviewedMission>,
    /// Whole days since its last login, or since its creation when it never signed in.
    pub days_without_login: i64,
    /// Enabled and without a login for [`INACTIVE_AFTER_DAYS`] or more.
    pub inactive: bool,
}

/// A destroyed mission and where its certificate stands.
#[derive(Debug, Clone)]
pub struct DestroyedMission {
    /// The mission.
    pub mission: Mission,
    /// Its controller organisation's name.
    pub controller: String,
    /// When it reached `destroyed` (ms).
    pub destroyed_at: Option<i64>,
}

/// Whole days without a login at `now_ms` (counted from the creation when there was none), and
/// whether an enabled account is inactive.
pub fn inactivity(
    now_ms: i64,
    created_at: i64,
    last_login_at: Option<i64>,
    disabled: bool,
) -> (i64, bool) {
    let since = last_login_at.unwrap_or(created_at);
    let days = ((now_ms - since) / DAY_MS).max(0);
    (days, !disabled && days >= INACTIVE_AFTER_DAYS)
}

impl Core {
    /// Every account with its organisation, live missions and roles, and inactivity at the
    /// gateway's clock.
    pub async fn access_review(&self, actor: &Actor) -> Result<Vec<ReviewedAccount>> {
        Self::require_admin(actor)?;
        let now_ms = to_millis(self.clock.now());
        let mut by_user: HashMap<String, Vec<ReviewedMission>> = HashMap::new();
        for p in store::participations(&self.db).await? {
            let missions = by_user.entry(p.user_id.clone()).or_default();
            let role = Role::parse(&p.role);
            match missions.iter_mut().find(|m| m.id == p.mission_id) {
                Some(m) => m.roles.extend(role),
                None => missions.push(ReviewedMission {
                    id: p.mission_id,
                    name: p.mission_name,
                    status: p.status,
                    roles: role.into_iter().collect(),
                }),
            }
        }
        Ok(store::accounts(&self.db)
            .await?
            .into_iter()
            .map(|account| {
                let (days_without_login, inactive) = inactivity(
                    now_ms,
                    account.created_at,
                    account.last_login_at,
                    account.disabled,
                );
                ReviewedAccount {
                    missions: by_user.remove(&account.id).unwrap_or_default(),
                    account,
                    days_without_login,
                    inactive,
                }
            })
            .collect())
    }

    /// Every destroyed mission, the most recently destroyed first.
    pub async fn destroyed_missions(&self, actor: &Actor) -> Result<Vec<DestroyedMission>> {
        Self::require_admin(actor)?;
        let orgs: HashMap<String, String> = orgs::list(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let mut out = Vec::new();
        for mission in missions_db::list_all(&self.db).await? {
            if mission.status != crate::domain::MissionStatus::Destroyed {
                continue;
            }
            let destroyed_at = retention::dates(&self.db, &mission.id)
                .await?
                .and_then(|d| d.destroyed_at);
            out.push(DestroyedMission {
                controller: orgs
                    .get(&mission.controller_organisation_id)
                    .cloned()
                    .unwrap_or_default(),
                mission,
                destroyed_at,
            });
        }
        out.sort_by_key(|d| std::cmp::Reverse(d.destroyed_at));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactivity_counts_whole_days_from_the_last_login_or_the_creation() {
        let now = 200 * DAY_MS;
        assert_eq!(
            inactivity(now, 0, Some(now - 89 * DAY_MS - 1), false),
            (89, false)
        );
        assert_eq!(
            inactivity(now, 0, Some(now - 90 * DAY_MS), false),
            (90, true)
        );
        assert_eq!(
            inactivity(now, 0, Some(now - 90 * DAY_MS), true),
            (90, false)
        );
        assert_eq!(inactivity(now, now - 10 * DAY_MS, None, false), (10, false));
        assert_eq!(inactivity(now, now - 91 * DAY_MS, None, false), (91, true));
        assert_eq!(inactivity(now, now + DAY_MS, None, false), (0, false));
    }
}

//! Changes to existing accounts and organisations (platform admins): enabling a disabled account
//! again, a person's name, e-mail and organisation, an organisation's name and kind.
//!
//! An organisation decides what its members read (a depositor reads its own organisation's
//! deposits; an EPCI's members never hold raw-data roles), so a change that would move data
//! access behind the missions' back is refused: a person keeps their organisation while they
//! hold a role in a running mission, and an organisation cannot become a kind excluded from raw
//! data while its members hold such roles.

use super::accounts::{check_email, check_text};
use super::audit::{Event, Outcome};
use super::{Actor, Core, Error, Result, Text};
use crate::clock::to_millis;
use crate::db::{orgs, users};
use crate::domain::{AuditAction, Organisation, OrganisationKind, User};
use serde_json::json;

/// A change to an account; absent fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New name shown to others.
    pub display_name: Option<String>,
    /// New professional e-mail.
    pub email: Option<String>,
    /// New organisation id.
    pub organisation_id: Option<String>,
}

/// A change to an organisation; absent fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct OrganisationChanges {
    /// New name.
    pub name: Option<String>,
    /// New kind (`bailleur`, `epci`, `consultancy`, `other`).
    pub kind: Option<String>,
}

fn invalid(fr: &str, en: &str) -> Error {
    Error::InvalidRequest(Text::new(fr, en))
}

impl Core {
    /// Enables a disabled account again: it signs in with its current password and second
    /// factor (an administrator resets it when those are lost).
    pub async fn enable_user(&self, actor: &Actor, id: &str) -> Result<()> {
        Self::require_admin(actor)?;
        if !users::enable(&self.db, id).await? {
            return Err(Error::NotFound);
        }
        // Its inactivity counts from now, as from a login: the sweeper does not disable it again
        // at once (`accounts.disable_after_inactive_days`).
        crate::db::inactivity::set_enabled_at(&self.db, id, to_millis(self.clock.now())).await?;
        self.audit
            .record(
                Event::new(AuditAction::UserEnable, Some(actor)).target(id),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }

    /// Changes an account's name, e-mail or organisation; returns the account as changed.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: &str,
        changes: &UserChanges,
    ) -> Result<User> {
        Self::require_admin(actor)?;
        let user = users::get(&self.db, id).await?.ok_or(Error::NotFound)?;
        let display_name = match &changes.display_name {
            Some(d) => check_text(
                d,
                200,
                "Le nom affiché est obligatoire (200 caractères au plus).",
                "The display name is required (200 characters at most).",
            )?,
            None => user.display_name.clone(),
        };
        let email = match &changes.email {
            Some(e) => check_email(e)?,
            None => user.email.clone(),
        };
        let organisation_id = changes
            .organisation_id
            .clone()
            .unwrap_or_else(|| user.organisation_id.clone());
        let mut detail = serde_json::Map::new();
        if display_name != user.display_name {
            detail.insert("display_name".into(), json!(true));
        }
        if email != user.email {
            detail.insert("email".into(), json!(true));
        }
        if organisation_id != user.organisation_id {
            // What a person may be granted depends on their organisation: nobody moves their own
            // (another administrator does), as nobody grants their own roles.
            if actor.user_id == id {
                let mut event = Event::new(AuditAction::UserUpdate, Some(actor)).target(id);
                event.detail = Some(json!({ "rule": "own_organisation" }));
                self.audit.record(event, Outcome::Denied).await?;
                return Err(Error::ForbiddenRule(Text::new(
                    "Vous ne pouvez pas changer votre propre organisme : un autre administrateur doit le faire.",
                    "You cannot change your own organisation: another administrator must do it.",
                )));
            }
            if orgs::get(&self.db, &organisation_id).await?.is_none() {
                return Err(invalid(
                    "Cet organisme n'existe pas.",
                    "This organisation does not exist.",
                ));
            }
            if users::running_roles(&self.db, id).await? > 0 {
                let mut event = Event::new(AuditAction::UserUpdate, Some(actor)).target(id);
                event.detail = Some(json!({ "rule": "roles_in_running_missions" }));
                self.audit.record(event, Outcome::Denied).await?;
                return Err(Error::Conflict(Text::new(
                    "Cette personne a des rôles dans des missions en cours ou dont les résultats sont encore conservés : ce qu'elle peut lire dépend de son organisme. Retirez-lui d'abord ces rôles, puis changez son organisme.",
                    "This person holds roles in running missions or missions whose results are still kept: what they may read depends on their organisation. Remove those roles first, then change their organisation.",
                )));
            }
            detail.insert(
                "organisation_id".into(),
                json!({ "from": user.organisation_id, "to": organisation_id }),
            );
        }
        if !detail.is_empty() {
            users::update_profile(&self.db, id, &display_name, &email, &organisation_id).await?;
            self.audit
                .record(
                    Event::new(AuditAction::UserUpdate, Some(actor))
                        .target(id)
                        .detail(detail.into()),
                    Outcome::Success,
                )
                .await?;
        }
        users::get(&self.db, id).await?.ok_or(Error::NotFound)
    }

    /// Changes an organisation's name or kind; returns it as changed.
    pub async fn update_organisation(
        &self,
        actor: &Actor,
        id: &str,
        changes: &OrganisationChanges,
    ) -> Result<Organisation> {
        Self::require_admin(actor)?;
        let org = orgs::get(&self.db, id).await?.ok_or(Error::NotFound)?;
        let name = match &changes.name {
            Some(n) => check_text(
                n,
                200,
                "Le nom de l'organisme est obligatoire (200 caractères au plus).",
                "The organisation name is required (200 characters at most).",
            )?,
            None => org.name.clone(),
        };
        let kind = match &changes.kind {
            Some(k) => OrganisationKind::parse(k).ok_or_else(|| {
                invalid("Type d'organisme inconnu.", "Unknown organisation kind.")
            })?,
            None => org.kind,
        };
        if kind != org.kind && actor.organisation_id == id {
            let mut event = Event::new(AuditAction::OrganisationUpdate, Some(actor)).target(id);
            event.detail = Some(json!({ "rule": "own_organisation" }));
            self.audit.record(event, Outcome::Denied).await?;
            return Err(Error::ForbiddenRule(Text::new(
                "Vous ne pouvez pas changer le type de votre propre organisme : un autre administrateur doit le faire.",
                "You cannot change your own organisation's kind: another administrator must do it.",
            )));
        }
        let excluded = self
            .config
            .roles
            .raw_data_excluded_kinds
            .iter()
            .any(|k| k.eq_ignore_ascii_case(kind.as_str()));
        if kind != org.kind
            && excluded
            && orgs::members_with_raw_data_roles(&self.db, id).await? > 0
        {
            let mut event = Event::new(AuditAction::OrganisationUpdate, Some(actor)).target(id);
            event.detail = Some(json!({ "kind": kind, "rule": "raw_data_excluded_kind" }));
            self.audit.record(event, Outcome::Denied).await?;
            return Err(Error::ForbiddenRule(Text::new(
                format!("Règle de séparation des rôles : les membres d'un organisme de type « {k} » ne peuvent être ni dépositaires ni chargés d'études (roles.raw_data_excluded_kinds), et des membres de cet organisme le sont encore dans des missions. Retirez-leur d'abord ces rôles.", k = kind.as_str()),
                format!("Separation-of-duties rule: members of an organisation of kind \"{k}\" can be neither depositors nor processors (roles.raw_data_excluded_kinds), and members of this organisation still are in missions. Remove those roles first.", k = kind.as_str()),
            )));
        }
        let mut detail = serde_json::Map::new();
        if name != org.name {
            detail.insert("name".into(), json!({ "from": org.name, "to": name }));
        }
        if kind != org.kind {
            detail.insert("kind".into(), json!({ "from": org.kind, "to": kind }));
        }
        if !detail.is_empty() {
            match orgs::update(&self.db, id, &name, kind).await? {
                None => return Err(Error::NotFound),
                Some(false) => {
                    return Err(Error::Conflict(Text::new(
                        "Un organisme porte déjà ce nom.",
                        "An organisation already has this name.",
                    )))
                }
                Some(true) => {}
            }
            self.audit
                .record(
                    Event::new(AuditAction::OrganisationUpdate, Some(actor))
                        .target(id)
                        .detail(detail.into()),
                    Outcome::Success,
                )
                .await?;
        }
        orgs::get(&self.db, id).await?.ok_or(Error::NotFound)
    }
}

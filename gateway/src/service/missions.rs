//! Missions: creation, participants, dates, suspension and the access window.

use super::audit::{Event, Outcome};
use super::permissions::{Decision, MissionAction, Role, Viewer};
use super::{new_id, Actor, Core, Error, Result, Text};
use crate::clock::to_millis;
use crate::db::missions as store;
use crate::db::{orgs, users};
use crate::domain::AuditAction;
use crate::domain::{Mission, MissionStatus, Participant};
use chrono::{DateTime, Datelike, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// Days and hours (Europe/Paris) when file operations are allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessWindow {
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    pub days: Vec<u8>,
    /// Opening time, `HH:MM`.
    pub from: String,
    /// Closing time, `HH:MM` (exclusive).
    pub to: String,
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

impl AccessWindow {
    /// Checks the window is well formed.
    pub fn validate(&self) -> Result<()> {
        let ok = !self.days.is_empty()
            && self.days.iter().all(|d| (1..=7).contains(d))
            && matches!((parse_time(&self.from), parse_time(&self.to)), (Some(a), Some(b)) if a < b);
        if ok {
            Ok(())
        } else {
            Err(invalid(
                "Plage d'accès invalide : jours de 1 (lundi) à 7 (dimanche), heures au format HH:MM, début avant fin.",
                "Invalid access window: days from 1 (Monday) to 7 (Sunday), times as HH:MM, start before end.",
            ))
        }
    }

    /// Whether `now` falls inside the window, in Paris time.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&chrono_tz::Europe::Paris);
        let day = local.weekday().number_from_monday() as u8;
        let time = local.time();
        match (parse_time(&self.from), parse_time(&self.to)) {
            (Some(from), Some(to)) => self.days.contains(&day) && time >= from && time < to,
            _ => false,
        }
    }
}

/// A mission as its participants see it.
#[derive(Debug, Clone)]
pub struct MissionView {
    /// The row.
    pub mission: Mission,
    /// The caller's roles.
    pub my_roles: Vec<Role>,
    /// The parsed access window.
    pub access_window: Option<AccessWindow>,
}

/// What a new mission needs.
#[derive(Debug, Clone)]
pub struct NewMission {
    /// Name.
    pub name: String,
    /// Purpose ("finalité").
    pub purpose: String,
    /// Organisation owning the data.
    pub controller_organisation_id: String,
    /// End date.
    pub ends_at: DateTime<Utc>,
    /// Retention date of released results.
    pub results_retained_until: Option<DateTime<Utc>>,
    /// Optional access window.
    pub access_window: Option<AccessWindow>,
}

/// A change to a mission; absent fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct MissionPatch {
    /// New end date.
    pub ends_at: Option<DateTime<Utc>>,
    /// Why the end date moves (recorded in the audit trail when given; the contract keeps it optional).
    pub reason: Option<String>,
    /// New retention date (`Some(None)` clears it).
    pub results_retained_until: Option<Option<DateTime<Utc>>>,
    /// New access window (`Some(None)` removes it).
    pub access_window: Option<Option<AccessWindow>>,
}

fn invalid(fr: &str, en: &str) -> Error {
    Error::InvalidRequest(Text::new(fr, en))
}

fn out_of_bounds(fr: &str, en: &str) -> Error {
    Error::OutOfBounds(Text::new(fr, en))
}

fn text(value: &str, max: usize, what_fr: &str, what_en: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(invalid(
            &format!("{what_fr} est obligatoire ({max} caractères au plus)."),
            &format!("{what_en} is required ({max} characters at most)."),
        ));
    }
    Ok(v.to_owned())
}

fn window_json(w: &Option<AccessWindow>) -> Result<Option<String>> {
    w.as_ref()
        .map(|w| serde_json::to_string(w).map_err(|e| Error::Unexpected(e.into())))
        .transpose()
}

/// Decodes a stored access window.
pub fn stored_window(m: &Mission) -> Option<AccessWindow> {
    m.access_window
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
}

fn mission_event(action: AuditAction, actor: &Actor, mission_id: &str) -> Event {
    let mut e = Event::new(action, Some(actor));
    e.mission_id = Some(mission_id.to_owned());
    e
}

impl Core {
    /// The caller's standing in a mission: the mission and the caller as the permission table sees it.
    pub async fn viewer(&self, actor: &Actor, mission_id: &str) -> Result<(Mission, Viewer)> {
        let mission = store::get(&self.db, mission_id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut roles: Vec<Role> = store::roles_of(&self.db, mission_id, &actor.user_id).await?;
        // The mission's managers keep seeing the mission itself after its end (its status, its
        // certificate, its audit trail), never any file content: as managers they read none.
        let manager = roles.contains(&Role::Manager);
        match mission.status {
            // After the end, only recipients and the controller organisation's participants keep
            // read access, to released results, until their retention date.
            MissionStatus::Ended => {
                let keeps = roles.contains(&Role::Recipient)
                    || (!roles.is_empty()
                        && actor.organisation_id == mission.controller_organisation_id);
                roles = Vec::new();
                if manager {
                    roles.push(Role::Manager);
                }
                if keeps {
                    roles.push(Role::Recipient);
                }
            }
            MissionStatus::Destroyed => roles.retain(|r| *r == Role::Manager),
            MissionStatus::Active | MissionStatus::Suspended => {}
        }
        let viewer = Viewer {
            roles,
            platform_admin: actor.platform_admin,
            organisation_id: actor.organisation_id.clone(),
            controller: actor.organisation_id == mission.controller_organisation_id,
        };
        Ok((mission, viewer))
    }

    /// Applies a decision, recording refusals of visible missions in the audit trail.
    pub(crate) async fn decide(&self, decision: Decision, event: Event) -> Result<()> {
        match decision {
            Decision::Allow => Ok(()),
            Decision::Hidden => Err(Error::NotFound),
            Decision::Forbidden => {
                self.audit.record(event, Outcome::Denied).await?;
                Err(Error::Forbidden)
            }
            Decision::PendingScan => {
                self.audit.record(event, Outcome::Denied).await?;
                Err(super::antivirus::pending_scan_conflict())
            }
        }
    }

    async fn mission_for(
        &self,
        actor: &Actor,
        mission_id: &str,
        action: MissionAction,
        audit_action: AuditAction,
    ) -> Result<(Mission, Viewer)> {
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        self.decide(
            viewer.mission(action),
            mission_event(audit_action, actor, mission_id),
        )
        .await?;
        if action == MissionAction::Manage && !mission.status.still_running() {
            return Err(Error::Conflict(Text::new(
                "La mission est terminée : elle ne peut plus être modifiée.",
                "The mission has ended: it can no longer be changed.",
            )));
        }
        Ok((mission, viewer))
    }

    /// Creates a mission and its encryption key (platform admins).
    pub async fn create_mission(&self, actor: &Actor, new: &NewMission) -> Result<String> {
        if !actor.platform_admin {
            return Err(Error::Forbidden);
        }
        let name = text(&new.name, 200, "Le nom de la mission", "The mission name")?;
        let purpose = text(&new.purpose, 2000, "La finalité", "The purpose")?;
        if orgs::get(&self.db, &new.controller_organisation_id)
            .await?
            .is_none()
        {
            return Err(invalid(
                "L'organisme responsable n'existe pas.",
                "The controller organisation does not exist.",
            ));
        }
        let now = self.clock.now();
        if new.ends_at <= now {
            return Err(invalid(
                "La date de fin doit être dans le futur.",
                "The end date must be in the future.",
            ));
        }
        let max_days = i64::from(self.config.max_results_retention_days);
        if matches!(new.results_retained_until, Some(r) if r > now + chrono::Duration::days(max_days))
        {
            return Err(out_of_bounds(
                &format!("La conservation des résultats dépasse le maximum autorisé ({max_days} jours à partir d'aujourd'hui)."),
                &format!("The retention of results exceeds the maximum allowed ({max_days} days from today)."),
            ));
        }
        if matches!(new.results_retained_until, Some(r) if r < new.ends_at) {
            return Err(invalid(
                "La conservation des résultats ne peut finir avant la mission.",
                "Results cannot be retained for less time than the mission lasts.",
            ));
        }
        if let Some(w) = &new.access_window {
            w.validate()?;
        }
        let id = new_id();
        // The key exists before any row names the mission, so no file can ever lack one.
        self.blobs
            .keys()
            .create_mission_key(&id)
            .await
            .map_err(|e| {
                Error::Unexpected(anyhow::anyhow!("creating the key of mission {id}: {e}"))
            })?;
        store::insert(
            &self.db,
            &Mission {
                id: id.clone(),
                name,
                purpose,
                controller_organisation_id: new.controller_organisation_id.clone(),
                ends_at: to_millis(new.ends_at),
                results_retained_until: new.results_retained_until.map(to_millis),
                status: MissionStatus::Active,
                access_window: window_json(&new.access_window)?,
            },
            to_millis(now),
        )
        .await?;
        self.audit
            .record(
                mission_event(AuditAction::MissionCreate, actor, &id).detail(serde_json::json!({
                    "controller_organisation_id": new.controller_organisation_id,
                    "ends_at": crate::clock::rfc3339(new.ends_at),
                })),
                Outcome::Success,
            )
            .await?;
        Ok(id)
    }

    /// The missions the caller takes part in (all of them for a platform admin).
    pub async fn list_missions(&self, actor: &Actor) -> Result<Vec<MissionView>> {
        let rows = if actor.platform_admin {
            store::list_all(&self.db).await?
        } else {
            store::list_for_user(&self.db, &actor.user_id).await?
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let (mission, viewer) = self.viewer(actor, &row.id).await?;
            if !viewer.sees_mission() {
                continue;
            }
            let access_window = stored_window(&mission);
            out.push(MissionView {
                mission,
                my_roles: viewer.roles,
                access_window,
            });
        }
        Ok(out)
    }

    /// One mission with its participants.
    pub async fn mission(
        &self,
        actor: &Actor,
        mission_id: &str,
    ) -> Result<(MissionView, Vec<Participant>)> {
        let (mission, viewer) = self
            .mission_for(
                actor,
                mission_id,
                MissionAction::View,
                AuditAction::MissionView,
            )
            .await?;
        let participants = store::participants(&self.db, mission_id).await?;
        let access_window = stored_window(&mission);
        Ok((
            MissionView {
                mission,
                my_roles: viewer.roles,
                access_window,
            },
            participants,
        ))
    }

    /// Changes dates or the access window (managers and platform admins).
    pub async fn update_mission(
        &self,
        actor: &Actor,
        mission_id: &str,
        patch: &MissionPatch,
    ) -> Result<()> {
        let (mut mission, _) = self
            .mission_for(
                actor,
                mission_id,
                MissionAction::Manage,
                AuditAction::MissionUpdate,
            )
            .await?;
        let mut changes = serde_json::Map::new();
        if let Some(ends_at) = patch.ends_at {
            if ends_at <= self.clock.now() {
                return Err(invalid(
                    "La date de fin doit être dans le futur.",
                    "The end date must be in the future.",
                ));
            }
            let reason = patch.reason.as_deref().map(str::trim).unwrap_or_default();
            if to_millis(ends_at) > mission.ends_at {
                let initial = crate::db::retention::dates(&self.db, mission_id)
                    .await?
                    .and_then(|d| d.initial_ends_at)
                    .unwrap_or(mission.ends_at);
                let max_days = i64::from(self.config.max_extension_days);
                if to_millis(ends_at) > initial + max_days * 86_400_000 {
                    return Err(out_of_bounds(
                        &format!("La prolongation dépasse le maximum autorisé ({max_days} jours après la date de fin initiale)."),
                        &format!("The extension exceeds the maximum allowed ({max_days} days after the initial end date)."),
                    ));
                }
            }
            if !reason.is_empty() {
                changes.insert("reason".into(), serde_json::json!(reason));
            }
            changes.insert(
                "ends_at".into(),
                serde_json::json!({
                    "from": crate::clock::rfc3339(crate::clock::from_millis(mission.ends_at)),
                    "to": crate::clock::rfc3339(ends_at),
                }),
            );
            mission.ends_at = to_millis(ends_at);
        }
        if let Some(retained) = patch.results_retained_until {
            let max_days = i64::from(self.config.max_results_retention_days);
            let furthest = self.clock.now() + chrono::Duration::days(max_days);
            if retained.is_some_and(|r| r > furthest) {
                return Err(out_of_bounds(
                    &format!("La conservation des résultats dépasse le maximum autorisé ({max_days} jours à partir d'aujourd'hui)."),
                    &format!("The retention of results exceeds the maximum allowed ({max_days} days from today)."),
                ));
            }
            changes.insert(
                "results_retained_until".into(),
                serde_json::json!(retained.map(crate::clock::rfc3339)),
            );
            mission.results_retained_until = retained.map(to_millis);
        }
        if matches!(mission.results_retained_until, Some(r) if r < mission.ends_at) {
            return Err(invalid(
                "La conservation des résultats ne peut finir avant la mission.",
                "Results cannot be retained for less time than the mission lasts.",
            ));
        }
        if let Some(window) = &patch.access_window {
            if let Some(w) = window {
                w.validate()?;
            }
            changes.insert("access_window".into(), serde_json::json!(window));
            mission.access_window = window_json(window)?;
        }
        if !store::update(&self.db, &mission).await? {
            return Err(ended_meanwhile());
        }
        self.audit
            .record(
                mission_event(AuditAction::MissionUpdate, actor, mission_id).detail(changes.into()),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }

    /// Gives a user a role in a mission (managers and platform admins).
    pub async fn add_participant(
        &self,
        actor: &Actor,
        mission_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<()> {
        let (mission, _) = self
            .mission_for(
                actor,
                mission_id,
                MissionAction::Manage,
                AuditAction::ParticipantAdd,
            )
            .await?;
        match users::get(&self.db, user_id).await? {
            Some(u) if !u.disabled => {}
            _ => {
                return Err(invalid(
                    "Ce compte n'existe pas ou est désactivé.",
                    "This account does not exist or is disabled.",
                ))
            }
        }
        self.check_grant(
            actor,
            mission_id,
            user_id,
            Some(role),
            AuditAction::ParticipantAdd,
        )
        .await?;
        let added = store::grant(
            &self.db,
            mission_id,
            user_id,
            role,
            to_millis(self.clock.now()),
            Some(&actor.user_id),
        )
        .await?;
        let notified = if added && role == Role::Processor {
            Some(
                self.notify_processor_grant(actor, &mission, user_id)
                    .await?,
            )
        } else {
            None
        };
        if added {
            self.notify_role_changed(actor, &mission, user_id, &[role], true)
                .await;
        }
        self.audit
            .record(
                mission_event(AuditAction::ParticipantAdd, actor, mission_id)
                    .target(user_id)
                    .detail(
                        serde_json::json!({ "role": role.as_str(), "managers_notified": notified }),
                    ),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }

    /// Gives the user named `username` one or more roles (managers and platform admins). Whether
    /// the username exists is told to those who may manage the mission only.
    pub async fn add_participant_by_username(
        &self,
        actor: &Actor,
        mission_id: &str,
        username: &str,
        roles: &[Role],
    ) -> Result<()> {
        self.mission_for(
            actor,
            mission_id,
            MissionAction::Manage,
            AuditAction::ParticipantAdd,
        )
        .await?;
        let unknown = || {
            invalid(
                "Aucun compte actif ne porte cet identifiant.",
                "No active account has this username.",
            )
        };
        let username =
            crate::service::accounts::normalise_username(username).map_err(|_| unknown())?;
        let user = match users::by_username(&self.db, &username).await? {
            Some(u) if !u.disabled => u,
            _ => return Err(unknown()),
        };
        if roles.is_empty() {
            return Err(invalid(
                "Cochez au moins un rôle.",
                "Tick at least one role.",
            ));
        }
        for role in roles {
            self.add_participant(actor, mission_id, &user.id, *role)
                .await?;
        }
        Ok(())
    }

    /// Removes every role of a user in a mission; its access ends at once.
    pub async fn remove_participant(
        &self,
        actor: &Actor,
        mission_id: &str,
        user_id: &str,
    ) -> Result<()> {
        let (mission, _) = self
            .mission_for(
                actor,
                mission_id,
                MissionAction::Manage,
                AuditAction::ParticipantRemove,
            )
            .await?;
        self.check_grant(
            actor,
            mission_id,
            user_id,
            None,
            AuditAction::ParticipantRemove,
        )
        .await?;
        let held = store::roles_of(&self.db, mission_id, user_id).await?;
        if !store::remove_participant(&self.db, mission_id, user_id).await? {
            return Err(Error::NotFound);
        }
        self.audit
            .record(
                mission_event(AuditAction::ParticipantRemove, actor, mission_id).target(user_id),
                Outcome::Success,
            )
            .await?;
        self.notify_role_changed(actor, &mission, user_id, &held, false)
            .await;
        Ok(())
    }

    /// Suspends (every file operation answers "suspended") or resumes a mission.
    pub async fn set_suspended(
        &self,
        actor: &Actor,
        mission_id: &str,
        suspended: bool,
    ) -> Result<()> {
        let action = if suspended {
            AuditAction::MissionSuspend
        } else {
            AuditAction::MissionResume
        };
        let (mut mission, _) = self
            .mission_for(actor, mission_id, MissionAction::Manage, action)
            .await?;
        match (mission.status, suspended) {
            (MissionStatus::Active, true) => mission.status = MissionStatus::Suspended,
            (MissionStatus::Suspended, false) => mission.status = MissionStatus::Active,
            (MissionStatus::Active, false) | (MissionStatus::Suspended, true) => {}
            _ => {
                return Err(Error::Conflict(Text::new(
                    "La mission est terminée : elle ne peut plus être suspendue ni reprise.",
                    "The mission has ended: it can no longer be suspended or resumed.",
                )))
            }
        }
        if !store::update(&self.db, &mission).await? {
            return Err(ended_meanwhile());
        }
        self.audit
            .record(mission_event(action, actor, mission_id), Outcome::Success)
            .await?;
        Ok(())
    }
}

/// A running mission that ended (closed, expired) between its reading and its update.
fn ended_meanwhile() -> Error {
    Error::Conflict(Text::new(
        "La mission vient de se terminer : elle ne peut plus être modifiée.",
        "The mission has just ended: it can no longer be changed.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn access_window_follows_paris_time_and_days() {
        let w = AccessWindow {
            days: vec![1, 2, 3, 4, 5],
            from: "08:00".into(),
            to: "19:00".into(),
        };
        w.validate().unwrap();
        // Friday 15 January 2027, 07:30 UTC = 08:30 in Paris (UTC+1).
        assert!(w.contains(Utc.with_ymd_and_hms(2027, 1, 15, 7, 30, 0).unwrap()));
        assert!(!w.contains(Utc.with_ymd_and_hms(2027, 1, 15, 6, 30, 0).unwrap()));
        assert!(
            !w.contains(Utc.with_ymd_and_hms(2027, 1, 15, 18, 0, 0).unwrap()),
            "19:00 Paris is closed"
        );
        assert!(
            !w.contains(Utc.with_ymd_and_hms(2027, 1, 16, 10, 0, 0).unwrap()),
            "Saturday"
        );
        // Summer time: 1 July 2027, 06:30 UTC = 08:30 in Paris (UTC+2).
        assert!(w.contains(Utc.with_ymd_and_hms(2027, 7, 1, 6, 30, 0).unwrap()));
        let bad = AccessWindow {
            days: vec![0],
            from: "19:00".into(),
            to: "08:00".into(),
        };
        assert!(bad.validate().is_err());
    }
}

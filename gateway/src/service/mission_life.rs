//! The end of a mission as the pages tell it: what closing would destroy, what an ended mission
//! keeps and since when, the destroyed missions whose certificate a person may read, and
//! participants' roles changed one by one.
//!
//! Nothing here decides anew who may do what: each function asks the permission table through
//! [`Core::viewer`] and goes through the same checks as the API's services.

use super::audit::{Event, Outcome};
use super::permissions::{MissionAction, Role};
use super::{Actor, Core, Error, Result, Text};
use crate::db::missions as store;
use crate::db::retention as dates_store;
use crate::db::users;
use crate::domain::{AuditAction, Folder, Mission, MissionStatus};

/// What closing a mission now would destroy, and what it would keep (counts only: a manager
/// reads no file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosingPreview {
    /// Deposits destroyed at once (quarantined ones included).
    pub deposits: usize,
    /// Results not released, destroyed at once.
    pub unreleased_results: usize,
    /// Released results: kept until the retention date, or destroyed at once without one.
    pub released_results: usize,
    /// People whose access ends (every participant but the recipients and the controller
    /// organisation's participants while results are retained; the managers keep the page).
    pub participants: usize,
    /// The retention date of released results (ms), if any.
    pub results_retained_until: Option<i64>,
}

/// The dates of an ended or destroyed mission, for its page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndFacts {
    /// When it ended (its end date, or the instant it was closed).
    pub ended_at: i64,
    /// When someone closed it before its end date.
    pub closed_at: Option<i64>,
    /// Who closed it (display name); `None` with `closed_at` set when not recorded.
    pub closed_by: Option<String>,
    /// When its key was shredded (everything unreadable from then on).
    pub key_destroyed_at: Option<i64>,
    /// When it reached `destroyed`.
    pub destroyed_at: Option<i64>,
    /// The caller may read its destruction certificate (once destroyed).
    pub reads_certificate: bool,
}

/// How far a mission's dates may move now (ms): the API's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateBounds {
    /// The latest end date: `max_extension_days` after the initial end date.
    pub latest_end: i64,
    /// The latest retention date: `max_results_retention_days` from now.
    pub latest_retention: i64,
}

impl Core {
    /// The bounds `update_mission` applies to the mission's dates, for the forms to show.
    pub async fn date_bounds(&self, mission: &Mission) -> Result<DateBounds> {
        let initial = dates_store::dates(&self.db, &mission.id)
            .await?
            .and_then(|d| d.initial_ends_at)
            .unwrap_or(mission.ends_at);
        let day = 86_400_000;
        let extension = i64::from(self.config.max_extension_days) * day;
        let retention = i64::from(self.config.max_results_retention_days) * day;
        Ok(DateBounds {
            latest_end: (initial + extension).max(mission.ends_at),
            latest_retention: crate::clock::to_millis(self.clock.now()) + retention,
        })
    }

    /// Whether `actor` may close the mission now (managers and platform admins, a running
    /// mission): the mission and the viewer, or the refusal (recorded when denied).
    pub(crate) async fn closable(
        &self,
        actor: &Actor,
        mission_id: &str,
    ) -> Result<(Mission, super::permissions::Viewer)> {
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let mut event = Event::new(AuditAction::MissionClose, Some(actor));
        event.mission_id = Some(mission_id.to_owned());
        self.decide(viewer.mission(MissionAction::Manage), event)
            .await?;
        if !mission.status.still_running() {
            return Err(Error::Conflict(Text::new(
                "La mission est déjà terminée.",
                "The mission has already ended.",
            )));
        }
        Ok((mission, viewer))
    }

    /// What closing the mission now would do (managers and platform admins, a running mission).
    pub async fn closing_preview(&self, actor: &Actor, mission_id: &str) -> Result<ClosingPreview> {
        let (mission, _) = self.closable(actor, mission_id).await?;
        let files = dates_store::all_files(&self.db, mission_id).await?;
        let stored = files
            .iter()
            .filter(|f| f.state == crate::domain::FileState::Stored);
        let mut preview = ClosingPreview {
            results_retained_until: mission.results_retained_until,
            ..Default::default()
        };
        for f in stored {
            match (f.folder, f.released) {
                (Folder::Deposits, _) => preview.deposits += 1,
                (Folder::Results, false) => preview.unreleased_results += 1,
                (Folder::Results, true) => preview.released_results += 1,
            }
        }
        let mut people: Vec<&str> = Vec::new();
        let participants = store::participants(&self.db, mission_id).await?;
        for p in &participants {
            if !people.contains(&p.user_id.as_str()) {
                people.push(&p.user_id);
            }
        }
        preview.participants = people.len();
        Ok(preview)
    }

    /// The dates of an ended or destroyed mission the caller sees (its page's account of the
    /// destruction); `None` for a mission still running.
    pub async fn end_facts(&self, actor: &Actor, mission: &Mission) -> Result<Option<EndFacts>> {
        if mission.status.still_running() {
            return Ok(None);
        }
        let (_, viewer) = self.viewer(actor, &mission.id).await?;
        if !viewer.sees_mission() {
            return Err(Error::NotFound);
        }
        let dates = dates_store::dates(&self.db, &mission.id)
            .await?
            .ok_or(Error::NotFound)?;
        let closed_by = match &dates.closed_by {
            Some(id) => users::get(&self.db, id).await?.map(|u| u.display_name),
            None => None,
        };
        let held = store::roles_of(&self.db, &mission.id, &actor.user_id).await?;
        Ok(Some(EndFacts {
            ended_at: mission.ends_at,
            closed_at: dates.closed_at,
            closed_by,
            key_destroyed_at: dates.key_destroyed_at,
            destroyed_at: dates.destroyed_at,
            reads_certificate: mission.status == MissionStatus::Destroyed
                && viewer.reads_certificate(&held),
        }))
    }

    /// Destroyed missions whose certificate the caller may read although the mission itself is
    /// no longer theirs to see (the controller organisation's participants).
    pub async fn certificates_only(&self, actor: &Actor) -> Result<Vec<Mission>> {
        let mut out = Vec::new();
        for m in store::list_for_user(&self.db, &actor.user_id).await? {
            if m.status != MissionStatus::Destroyed {
                continue;
            }
            let (_, viewer) = self.viewer(actor, &m.id).await?;
            let held = store::roles_of(&self.db, &m.id, &actor.user_id).await?;
            if !viewer.sees_mission() && viewer.reads_certificate(&held) {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Takes one role from a participant (managers and platform admins; nobody changes their own
    /// roles). Its other roles stay.
    pub async fn remove_role(
        &self,
        actor: &Actor,
        mission_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<()> {
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let event = || {
            let mut e = Event::new(AuditAction::ParticipantRemove, Some(actor)).target(user_id);
            e.mission_id = Some(mission_id.to_owned());
            e
        };
        self.decide(viewer.mission(MissionAction::Manage), event())
            .await?;
        if !mission.status.still_running() {
            return Err(Error::Conflict(Text::new(
                "La mission est terminée : elle ne peut plus être modifiée.",
                "The mission has ended: it can no longer be changed.",
            )));
        }
        self.check_grant(
            actor,
            mission_id,
            user_id,
            None,
            AuditAction::ParticipantRemove,
        )
        .await?;
        if !store::remove_role(&self.db, mission_id, user_id, role).await? {
            return Err(Error::NotFound);
        }
        self.audit
            .record(
                event().detail(serde_json::json!({ "role": role.as_str() })),
                Outcome::Success,
            )
            .await?;
        self.notify_role_changed(actor, &mission, user_id, &[role], false)
            .await;
        Ok(())
    }

    /// Sets a participant's roles to `roles`: the missing ones are granted (the grant rules
    /// apply), the others taken, each change audited. At least one role: to remove someone
    /// altogether, [`Core::remove_participant`].
    pub async fn set_roles(
        &self,
        actor: &Actor,
        mission_id: &str,
        user_id: &str,
        roles: &[Role],
    ) -> Result<()> {
        if roles.is_empty() {
            return Err(Error::InvalidRequest(Text::new(
                "Cochez au moins un rôle (pour retirer la personne de la mission, utilisez « Retirer »).",
                "Tick at least one role (to remove the person from the mission, use “Remove”).",
            )));
        }
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let mut event = Event::new(AuditAction::ParticipantAdd, Some(actor)).target(user_id);
        event.mission_id = Some(mission_id.to_owned());
        self.decide(viewer.mission(MissionAction::Manage), event)
            .await?;
        if !mission.status.still_running() {
            return Err(Error::Conflict(Text::new(
                "La mission est terminée : elle ne peut plus être modifiée.",
                "The mission has ended: it can no longer be changed.",
            )));
        }
        let held = store::roles_of(&self.db, mission_id, user_id).await?;
        if held.is_empty() {
            // Not a participant: nothing to edit (the page offers the adding form instead).
            return Err(Error::NotFound);
        }
        // Grants first, so that a refused grant (own roles, separation of duties) takes nothing.
        for role in roles.iter().filter(|r| !held.contains(r)) {
            self.add_participant(actor, mission_id, user_id, *role)
                .await?;
        }
        for role in held.iter().filter(|r| !roles.contains(r)) {
            self.remove_role(actor, mission_id, user_id, *role).await?;
        }
        Ok(())
    }
}

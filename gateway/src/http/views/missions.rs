//! Views of missions, their participants and their destruction certificate.

use super::{maybe_time, time};
use crate::domain::Participant as ParticipantRow;
use crate::service::missions::{AccessWindow as Window, MissionView};
use crate::service::permissions::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A participant's role in a mission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Role)]
pub(crate) enum RoleName {
    /// Manages participants, dates and suspension.
    Manager,
    /// Deposits raw files.
    Depositor,
    /// Processes deposits and produces results.
    Processor,
    /// Receives released results.
    Recipient,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> Self {
        match role {
            Role::Manager => Self::Manager,
            Role::Depositor => Self::Depositor,
            Role::Processor => Self::Processor,
            Role::Recipient => Self::Recipient,
        }
    }
}

/// Days and hours (Europe/Paris) when the mission's files may be reached.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AccessWindow {
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    pub days: Vec<u8>,
    /// Opening time, `HH:MM`.
    pub from: String,
    /// Closing time, `HH:MM` (exclusive).
    pub to: String,
}

impl From<&Window> for AccessWindow {
    fn from(w: &Window) -> Self {
        Self {
            days: w.days.clone(),
            from: w.from.clone(),
            to: w.to.clone(),
        }
    }
}

/// A mission, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissionSummary {
    /// The mission id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What the data is processed for.
    pub purpose: String,
    /// When it ends and its destruction starts.
    pub ends_at: String,
    /// `active`, `suspended`, `ended` or `destroyed`.
    #[schema(examples("active"))]
    pub status: String,
    /// The caller's roles in it (empty for a platform admin holding none).
    pub my_roles: Vec<RoleName>,
    /// The organisation that owns the data.
    pub controller_organisation_id: String,
    /// Until when released results are kept; `null`: destroyed with the rest.
    pub results_retained_until: Option<String>,
    /// When file operations are allowed; `null`: always.
    pub access_window: Option<AccessWindow>,
}

impl From<&MissionView> for MissionSummary {
    fn from(v: &MissionView) -> Self {
        let m = &v.mission;
        Self {
            id: m.id.clone(),
            name: m.name.clone(),
            purpose: m.purpose.clone(),
            ends_at: time(m.ends_at),
            status: m.status.to_string(),
            my_roles: v.my_roles.iter().copied().map(RoleName::from).collect(),
            controller_organisation_id: m.controller_organisation_id.clone(),
            results_retained_until: maybe_time(m.results_retained_until),
            access_window: v.access_window.as_ref().map(AccessWindow::from),
        }
    }
}

/// `GET /api/v1/missions`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissionList {
    /// The missions the caller takes part in (all of them for a platform admin).
    pub missions: Vec<MissionSummary>,
}

/// A participant: one entry per user, with all its roles.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Participant {
    /// The user id.
    pub user_id: String,
    /// The name shown to others.
    pub display_name: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// Its roles in the mission.
    pub roles: Vec<String>,
}

/// Groups participant rows (one per role, a user's rows side by side) into one entry per user.
pub(super) fn participants(rows: &[ParticipantRow]) -> Vec<Participant> {
    let mut out: Vec<Participant> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some(last) if last.user_id == row.user_id => last.roles.push(row.role.to_string()),
            _ => out.push(Participant {
                user_id: row.user_id.clone(),
                display_name: row.display_name.clone(),
                organisation_id: row.organisation_id.clone(),
                roles: vec![row.role.to_string()],
            }),
        }
    }
    out
}

/// `GET /api/v1/missions/{id}`: the mission and its participants.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissionDetail {
    /// The mission.
    #[serde(flatten)]
    pub mission: MissionSummary,
    /// Its participants.
    pub participants: Vec<Participant>,
}

impl From<(&MissionView, &[ParticipantRow])> for MissionDetail {
    fn from((view, rows): (&MissionView, &[ParticipantRow])) -> Self {
        Self {
            mission: MissionSummary::from(view),
            participants: participants(rows),
        }
    }
}

/// `POST /api/v1/missions/{id}/participants`: the role granted.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ParticipantAdded {
    /// The user.
    pub user_id: String,
    /// The role.
    pub role: RoleName,
}

/// A signed destruction certificate.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Certificate {
    /// The certified facts.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Base64 Ed25519 signature of the RFC 8785 canonical JSON of `payload`.
    pub signature: String,
    /// The signing key's id.
    pub key_id: String,
}

/// The instance's certificate-signing public key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SigningKey {
    /// The key's id.
    pub key_id: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// Base64 of the 32 raw bytes.
    pub public_key: String,
}

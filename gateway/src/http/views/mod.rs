//! What the API answers: one typed struct per JSON shape of `docs/API.md`, built `From` the
//! service's types (in the style of crates.io's `crates_io_api_types`). The OpenAPI document is
//! derived from these structs and from the handlers' annotations ([`openapi`]), so the contract a
//! client reads and the bytes it receives come from the same place.

mod accounts;
mod checks;
mod files;
mod missions;
pub(crate) mod openapi;
mod ops;

pub(crate) use accounts::{
    CreatedUser, InitialPassword, Invitation, InvitationList, LoginStep, Me, Organisation,
    OrganisationList, Token, User, UserList,
};
pub(crate) use checks::{Checks, Violation};
pub(crate) use files::{DownloadList, FileList, FileView};
pub(crate) use missions::{
    AccessWindow, Certificate, MissionDetail, MissionList, MissionSummary, ParticipantAdded,
    RoleName, SigningKey,
};
pub(crate) use ops::LockdownView;

use crate::clock::{from_millis, rfc3339};
use crate::domain::AuditEntry;
use serde::Serialize;
use utoipa::ToSchema;

/// A time as the API writes it: RFC 3339 in UTC, to the second.
fn time(ms: i64) -> String {
    rfc3339(from_millis(ms))
}

/// An optional time, `null` when absent.
fn maybe_time(ms: Option<i64>) -> Option<String> {
    ms.map(time)
}

/// `{"id"}`: what a creation answers.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Created {
    /// The new thing's id.
    pub id: String,
}

impl From<String> for Created {
    fn from(id: String) -> Self {
        Self { id }
    }
}

/// Every refusal: `{"error": code, "message": text}`, plus the failed rules when a release was
/// refused by the disclosure check.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody {
    /// The stable machine code (`invalid_credentials`, `not_found`, …).
    #[schema(examples("not_found"))]
    pub error: &'static str,
    /// A sentence for a person, in the caller's language.
    pub message: String,
    /// With `disclosure_check_failed` only: the cells at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Violation>>)]
    pub violations: Option<Vec<crate::domain::Violation>>,
}

/// One event of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEvent {
    /// Position in the hash chain.
    pub seq: i64,
    /// When, RFC 3339 in UTC with milliseconds.
    pub at: String,
    /// The user id; `null` for the gateway itself.
    pub actor: Option<String>,
    /// The actor's organisation.
    pub organisation_id: Option<String>,
    /// The client address.
    pub ip: Option<String>,
    /// What happened (`auth.login`, `file.download`, …).
    pub action: String,
    /// The mission concerned.
    pub mission_id: Option<String>,
    /// The file concerned.
    pub file_id: Option<String>,
    /// Another target (a user, an organisation).
    pub target: Option<String>,
    /// `success`, `denied` or `failed`.
    pub outcome: String,
}

impl From<&AuditEntry> for AuditEvent {
    fn from(e: &AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at: from_millis(e.at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor: e.actor.clone(),
            organisation_id: e.organisation_id.clone(),
            ip: e.ip.clone(),
            action: e.action.as_str().to_owned(),
            mission_id: e.mission_id.clone(),
            file_id: e.file_id.clone(),
            target: e.target.clone(),
            outcome: e.outcome.as_str().to_owned(),
        }
    }
}

/// `GET /api/v1/audit`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditList {
    /// Oldest first.
    pub events: Vec<AuditEvent>,
}

impl From<&[AuditEntry]> for AuditList {
    fn from(rows: &[AuditEntry]) -> Self {
        Self {
            events: rows.iter().map(AuditEvent::from).collect(),
        }
    }
}

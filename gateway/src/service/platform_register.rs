//! The platform register of processing (GDPR art. 30(2)): what the platform, as a processor,
//! does for each controller organisation — one line per mission with its purpose, the categories
//! of data its deposits hold (the kinds and headers of the columns the scan detected, never a
//! value), the participants' organisations (sub-processors), its retention and destruction dates
//! with the certificate, and where the files are kept (no transfer outside the EEA).
//!
//! Platform administrators only (the command line acts as the operator); each export is recorded.
//! [`crate::exports`] writes it as CSV and as the page's table.

use super::audit::{Event, Outcome};
use super::{Actor, Core, Error, Result};
use crate::domain::{AuditAction, Finding, FindingKind, MissionStatus};
use std::collections::{BTreeMap, BTreeSet};

/// One mission of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterLine {
    /// The controller organisation's name.
    pub controller: String,
    /// Mission id.
    pub mission_id: String,
    /// Mission name.
    pub mission: String,
    /// Its state.
    pub status: MissionStatus,
    /// Its purpose.
    pub purpose: String,
    /// Detected columns: per kind of identifier (stored word), the column headers.
    pub categories: BTreeMap<String, BTreeSet<String>>,
    /// The participants' organisations other than the controller, with their roles (stored words).
    pub processors: BTreeMap<String, BTreeSet<String>>,
    /// End of the mission (ms).
    pub ends_at: i64,
    /// Until when released results are kept (ms).
    pub results_retained_until: Option<i64>,
    /// When it was destroyed (ms).
    pub destroyed_at: Option<i64>,
    /// When its destruction certificate was issued (ms).
    pub certificate_issued_at: Option<i64>,
    /// The storage backend (`local`, `s3`).
    pub backend: String,
    /// The storage country (ISO 3166-1 alpha-2, in the EEA by construction).
    pub country: String,
}

impl Core {
    /// The register's lines, by controller organisation then mission name.
    pub async fn platform_register(&self, actor: Option<&Actor>) -> Result<Vec<RegisterLine>> {
        let event = Event::new(AuditAction::PlatformRegister, actor);
        if actor.is_some_and(|a| !a.platform_admin) {
            self.audit.record(event, Outcome::Denied).await?;
            return Err(Error::Forbidden);
        }
        let org_names: BTreeMap<String, String> = crate::db::orgs::list(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let facts = crate::db::incident::register_sources(&self.db).await?;
        let destroyed: BTreeMap<String, Option<i64>> = facts.destroyed.into_iter().collect();
        let certificates: BTreeMap<String, i64> = facts.certificates.into_iter().collect();
        let participants = facts.participants;
        let stored = facts.stored_reports;
        let quarantined = facts.quarantined;
        let mut categories: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        let mut add = |mission: &str, findings: Vec<Finding>| {
            for f in findings
                .into_iter()
                .filter(|f| f.kind != FindingKind::Unreadable)
            {
                let headers = categories
                    .entry(mission.to_owned())
                    .or_default()
                    .entry(f.kind.as_str().to_owned())
                    .or_default();
                if !f.column.trim().is_empty() {
                    headers.insert(f.column.trim().to_owned());
                }
            }
        };
        for (mission, report) in &stored {
            add(mission, crate::domain::report::read(report.as_deref()));
        }
        for (mission, detail) in &quarantined {
            let Some(mission) = mission else { continue };
            let findings = detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d.get("findings").cloned())
                .and_then(|f| serde_json::from_value::<Vec<Finding>>(f).ok())
                .unwrap_or_default();
            add(mission, findings);
        }
        let backend = self.blobs.backend();
        let mut lines = Vec::new();
        for m in crate::db::missions::list_all(&self.db).await? {
            let mut processors: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (_, org, role) in participants
                .iter()
                .filter(|(mid, org, _)| *mid == m.id && *org != m.controller_organisation_id)
            {
                processors
                    .entry(org_names.get(org).cloned().unwrap_or_else(|| org.clone()))
                    .or_default()
                    .insert(role.clone());
            }
            lines.push(RegisterLine {
                controller: org_names
                    .get(&m.controller_organisation_id)
                    .cloned()
                    .unwrap_or_else(|| m.controller_organisation_id.clone()),
                categories: categories.remove(&m.id).unwrap_or_default(),
                processors,
                destroyed_at: destroyed.get(&m.id).copied().flatten(),
                certificate_issued_at: certificates.get(&m.id).copied(),
                backend: backend.kind().to_owned(),
                country: backend.country().to_owned(),
                mission_id: m.id,
                mission: m.name,
                status: m.status,
                purpose: m.purpose,
                ends_at: m.ends_at,
                results_retained_until: m.results_retained_until,
            });
        }
        lines.sort_by(|a, b| {
            (&a.controller, &a.mission, &a.mission_id).cmp(&(
                &b.controller,
                &b.mission,
                &b.mission_id,
            ))
        });
        self.audit
            .record(
                event.detail(serde_json::json!({ "missions": lines.len() })),
                Outcome::Success,
            )
            .await?;
        Ok(lines)
    }
}

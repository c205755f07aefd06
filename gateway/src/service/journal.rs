//! The administrators' journal: the whole audit trail, filtered and paginated (its CSV export is
//! in [`crate::exports`]).
//!
//! Platform administrators only, like `GET /api/v1/audit` without a mission. Reading the trail is
//! not itself recorded, as with the API (only a refused read of a visible mission is).

use super::{Actor, Core, Result};
use crate::db::audit_search as store;
pub use crate::db::audit_search::{ActorFilter, AuditSearch};
use crate::db::{missions, orgs, users};
use crate::domain::AuditEntry;
use std::collections::HashMap;

/// Events per page of the journal.
pub const JOURNAL_PAGE: i64 = 50;

/// The header of the journal's CSV export (French, like the register; do not rename: spreadsheets
/// and scripts read these columns).
pub const JOURNAL_CSV_HEADER: &str =
    "numero;date;personne;organisme;adresse_ip;operation;code_operation;mission;donnees;resultat";

/// One page of matching events.
#[derive(Debug, Clone)]
pub struct JournalPage {
    /// The events, newest first.
    pub events: Vec<AuditEntry>,
    /// How many events match in all.
    pub total: i64,
    /// This page, from 1 (a page past the end is brought back to the last one).
    pub page: i64,
    /// How many pages (at least 1).
    pub pages: i64,
}

/// What an event concerns besides its mission, named for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Nothing more.
    Nothing,
    /// A file, by its display name (or id when the event did not record the name).
    File(String),
    /// An account, by its name and login.
    Account(String),
    /// An organisation, by its name.
    Organisation(String),
    /// Something else, by its id.
    Other(String),
}

/// Names to show in place of the ids an event holds.
#[derive(Debug, Clone, Default)]
pub struct Names {
    people: HashMap<String, String>,
    orgs: HashMap<String, String>,
    missions: HashMap<String, String>,
}

impl Names {
    /// "Name (login)" of an acting user; `None` for the gateway itself.
    pub fn person(&self, id: Option<&str>) -> Option<String> {
        id.map(|id| {
            self.people
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_owned())
        })
    }

    /// An organisation's name (empty when absent).
    pub fn organisation(&self, id: Option<&str>) -> String {
        id.map(|id| self.orgs.get(id).cloned().unwrap_or_else(|| id.to_owned()))
            .unwrap_or_default()
    }

    /// A mission's name (empty when absent).
    pub fn mission(&self, id: Option<&str>) -> String {
        id.map(|id| {
            self.missions
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_owned())
        })
        .unwrap_or_default()
    }

    /// Every person, sorted by name, as `(id, "Name (login)")`.
    pub fn people(&self) -> Vec<(String, String)> {
        sorted(&self.people)
    }

    /// Every mission, sorted by name, as `(id, name)`.
    pub fn missions(&self) -> Vec<(String, String)> {
        sorted(&self.missions)
    }

    /// What the event concerns besides its mission.
    pub fn subject(&self, e: &AuditEntry) -> Subject {
        if let Some(file) = &e.file_id {
            let detail: serde_json::Value = e
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default();
            return Subject::File(
                detail
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or(file)
                    .to_owned(),
            );
        }
        match &e.target {
            None => Subject::Nothing,
            Some(t) => match (self.people.get(t), self.orgs.get(t)) {
                (Some(p), _) => Subject::Account(p.clone()),
                (None, Some(o)) => Subject::Organisation(o.clone()),
                (None, None) => Subject::Other(t.clone()),
            },
        }
    }
}

fn sorted(map: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| {
        a.1.to_lowercase()
            .cmp(&b.1.to_lowercase())
            .then(a.0.cmp(&b.0))
    });
    v
}

impl Core {
    /// One page (from 1) of the events matching `search`, newest first.
    pub async fn journal(
        &self,
        actor: &Actor,
        search: &AuditSearch,
        page: i64,
    ) -> Result<JournalPage> {
        Self::require_admin(actor)?;
        let total = store::count(&self.db, search).await?;
        let pages = ((total + JOURNAL_PAGE - 1) / JOURNAL_PAGE).max(1);
        let page = page.clamp(1, pages);
        let events =
            store::newest(&self.db, search, (page - 1) * JOURNAL_PAGE, JOURNAL_PAGE).await?;
        Ok(JournalPage {
            events,
            total,
            page,
            pages,
        })
    }

    /// Every action present in the trail.
    pub async fn journal_actions(&self, actor: &Actor) -> Result<Vec<String>> {
        Self::require_admin(actor)?;
        Ok(store::actions(&self.db).await?)
    }

    /// The names of every person, organisation and mission, to show events.
    pub async fn journal_names(&self, actor: &Actor) -> Result<Names> {
        Self::require_admin(actor)?;
        let mut names = Names::default();
        for u in users::list(&self.db).await? {
            names
                .people
                .insert(u.id.clone(), format!("{} ({})", u.display_name, u.username));
        }
        for o in orgs::list(&self.db).await? {
            names.orgs.insert(o.id.clone(), o.name.clone());
        }
        for m in missions::list_all(&self.db).await? {
            names.missions.insert(m.id.clone(), m.name.clone());
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(file: Option<&str>, target: Option<&str>, detail: Option<&str>) -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: 0,
            actor: None,
            organisation_id: None,
            ip: None,
            action: crate::domain::AuditAction::FileDownload,
            mission_id: None,
            file_id: file.map(str::to_owned),
            target: target.map(str::to_owned),
            outcome: crate::domain::AuditOutcome::Success,
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn subjects_are_named() {
        let mut names = Names::default();
        names.people.insert("u1".into(), "Marie (marie)".into());
        names.orgs.insert("o1".into(), "Habitat".into());
        assert_eq!(
            names.subject(&row(Some("f1"), None, Some(r#"{"name":"ops.csv"}"#))),
            Subject::File("ops.csv".into())
        );
        assert_eq!(
            names.subject(&row(Some("f1"), None, None)),
            Subject::File("f1".into())
        );
        assert_eq!(
            names.subject(&row(None, Some("u1"), None)),
            Subject::Account("Marie (marie)".into())
        );
        assert_eq!(
            names.subject(&row(None, Some("o1"), None)),
            Subject::Organisation("Habitat".into())
        );
        assert_eq!(names.subject(&row(None, None, None)), Subject::Nothing);
        assert_eq!(names.person(None), None);
        assert_eq!(names.person(Some("u9")), Some("u9".into()));
        assert_eq!(names.organisation(None), "");
    }
}

//! The administrators' journal: the whole audit trail, filtered, paginated, exported as CSV.
//!
//! Platform administrators only, like `GET /api/v1/audit` without a mission. Reading the trail is
//! not itself recorded, as with the API (only a refused read of a visible mission is).

use super::register::csv_row;
use super::{Actor, Core, Result};
use crate::clock::from_millis;
use crate::db::audit::AuditRow;
use crate::db::audit_search as store;
pub use crate::db::audit_search::{ActorFilter, AuditSearch};
use crate::db::{missions, orgs, users};
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
    pub events: Vec<AuditRow>,
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
    pub fn subject(&self, e: &AuditRow) -> Subject {
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

    /// Every event matching `search` as CSV for a spreadsheet, oldest first: UTF-8 with a
    /// byte-order mark, `;` separators, Paris time, French words, cells safe from formula injection.
    pub async fn journal_csv(&self, actor: &Actor, search: &AuditSearch) -> Result<String> {
        let names = self.journal_names(actor).await?;
        let words = admin_ui::Lang::Fr.admin();
        let mut out = format!("\u{feff}{JOURNAL_CSV_HEADER}\r\n");
        let mut after = 0;
        loop {
            let page = store::oldest_after(&self.db, search, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                let data = match names.subject(e) {
                    Subject::Nothing => String::new(),
                    Subject::File(n) => format!("fichier {n}"),
                    Subject::Account(n) => format!("compte {n}"),
                    Subject::Organisation(n) => format!("organisme {n}"),
                    Subject::Other(id) => id,
                };
                out.push_str(&csv_row(&[
                    e.seq.to_string(),
                    paris_seconds(e.at),
                    names
                        .person(e.actor.as_deref())
                        .unwrap_or_else(|| "Passerelle (traitement automatique)".to_owned()),
                    names.organisation(e.organisation_id.as_deref()),
                    e.ip.clone().unwrap_or_default(),
                    words.action_name(&e.action),
                    e.action.clone(),
                    names.mission(e.mission_id.as_deref()),
                    data,
                    words.outcome_name(&e.outcome).to_owned(),
                ]));
            }
        }
        Ok(out)
    }
}

/// An instant (ms) in Paris time to the second, as the CSV exports write it: `15/01/2027 09:00:00`.
pub fn paris_seconds(ms: i64) -> String {
    from_millis(ms)
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(file: Option<&str>, target: Option<&str>, detail: Option<&str>) -> AuditRow {
        AuditRow {
            seq: 1,
            at: 0,
            actor: None,
            organisation_id: None,
            ip: None,
            action: "x".into(),
            mission_id: None,
            file_id: file.map(str::to_owned),
            target: target.map(str::to_owned),
            outcome: "success".into(),
            detail: detail.map(str::to_owned),
            prev_hash: String::new(),
            hash: String::new(),
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

    #[test]
    fn paris_time_follows_daylight_saving() {
        // 15 January 2027 08:00 UTC is 09:00 in Paris; 1 July 2027 08:00 UTC is 10:00.
        assert_eq!(paris_seconds(1_800_000_000_000), "15/01/2027 09:00:00");
        assert_eq!(paris_seconds(1_814_428_800_000), "01/07/2027 10:00:00");
    }
}

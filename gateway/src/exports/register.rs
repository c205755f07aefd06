//! The register of processing operations of a mission, as CSV for a DPO: one line per event of
//! the mission, in French, with the operations named by admin-ui's word table (the journal's).

use super::csv_row;
use crate::clock::from_millis;
use crate::db::audit as store;
use crate::db::{orgs, users};
use crate::domain::{AuditAction, Folder};
use crate::service::audit::Event;
use crate::service::permissions::MissionAction;
use crate::service::{Actor, Core, Result};
use std::collections::HashMap;

impl Core {
    /// The record of processing operations of a mission, as CSV for a spreadsheet (UTF-8 with a
    /// byte-order mark, `;` separators, Paris time).
    pub async fn register_csv(&self, actor: &Actor, mission_id: &str) -> Result<String> {
        let (_, viewer) = self.viewer(actor, mission_id).await?;
        let mut event = Event::new(AuditAction::MissionRegister, Some(actor));
        event.mission_id = Some(mission_id.to_owned());
        self.decide(viewer.mission(MissionAction::Audit), event)
            .await?;
        let mut people: HashMap<String, String> = HashMap::new();
        let mut orgs_by_id: HashMap<String, String> = HashMap::new();
        for u in users::list(&self.db).await? {
            people.insert(u.id.clone(), format!("{} ({})", u.display_name, u.username));
        }
        for o in orgs::list(&self.db).await? {
            orgs_by_id.insert(o.id.clone(), o.name.clone());
        }
        let words = admin_ui::Lang::Fr.admin();
        let mut out =
            String::from("\u{feff}date;personne;organisme;donnees;operation;resultat\r\n");
        let mut after = 0;
        loop {
            let page = store::list_entries(&self.db, Some(mission_id), after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                let date = from_millis(e.at)
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y %H:%M:%S")
                    .to_string();
                let person = match &e.actor {
                    Some(id) => people.get(id).cloned().unwrap_or_else(|| id.clone()),
                    None => "Passerelle (traitement automatique)".to_owned(),
                };
                let org = e
                    .organisation_id
                    .as_ref()
                    .and_then(|o| orgs_by_id.get(o))
                    .cloned()
                    .unwrap_or_default();
                let detail: serde_json::Value = e
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_default();
                let data = match (&e.file_id, detail.get("name").and_then(|n| n.as_str())) {
                    (Some(_), Some(name)) => {
                        let folder = match detail
                            .get("folder")
                            .and_then(|f| f.as_str())
                            .and_then(Folder::parse)
                        {
                            Some(Folder::Deposits) => "dépôts",
                            Some(Folder::Results) => "résultats",
                            None => "",
                        };
                        let sha = detail
                            .get("sha256")
                            .and_then(|s| s.as_str())
                            .unwrap_or_default();
                        let range = detail
                            .get("range")
                            .and_then(|r| r.as_str())
                            .map(|r| format!(", octets {r}"))
                            .unwrap_or_default();
                        format!("fichier {name} ({folder}, sha256 {sha}{range})")
                    }
                    (Some(id), None) => format!("fichier {id}"),
                    _ => match &e.target {
                        Some(t) => format!(
                            "participant {}",
                            people.get(t).cloned().unwrap_or_else(|| t.clone())
                        ),
                        None => "mission".to_owned(),
                    },
                };
                out.push_str(&csv_row(&[
                    date,
                    person,
                    org,
                    data,
                    words.action_name(e.action.as_str()),
                    words.outcome_name(e.outcome.as_str()).to_owned(),
                ]));
            }
        }
        Ok(out)
    }
}

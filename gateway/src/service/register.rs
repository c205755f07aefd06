//! The audit API's queries and the register of processing operations (CSV for a DPO).

use super::permissions::MissionAction;
use super::{Actor, Core, Error, Result};
use crate::clock::from_millis;
use crate::db::audit::{self as store, AuditRow};
use crate::db::{orgs, users};
use std::collections::HashMap;

/// Most events one page of the audit API returns.
pub const MAX_PAGE: i64 = 10_000;

fn operation_fr(action: &str) -> &str {
    match action {
        "auth.login" => "connexion",
        "auth.login_failed" => "échec de connexion",
        "auth.logout" => "déconnexion",
        "auth.password_change" => "changement de mot de passe",
        "charter.accept" => "acceptation de la charte d'utilisation",
        "file.upload" => "dépôt de fichier",
        "file.download" => "téléchargement",
        "file.delete" => "suppression de fichier",
        "file.release" => "mise à disposition",
        "file.destroy" => "destruction de fichier",
        "file.list" => "consultation de la liste des fichiers",
        "file.inspect" => "consultation d'un fichier",
        "mission.create" => "création de la mission",
        "mission.update" => "modification de la mission",
        "mission.view" => "consultation de la mission",
        "mission.participant_add" => "ajout d'un participant",
        "mission.participant_remove" => "retrait d'un participant",
        "mission.suspend" => "suspension de la mission",
        "mission.resume" => "reprise de la mission",
        "mission.close" => "clôture de la mission",
        "mission.destroy" => "destruction de la mission",
        other => other,
    }
}

fn outcome_fr(outcome: &str) -> &str {
    match outcome {
        "success" => "succès",
        "denied" => "refusé",
        "failed" => "échec",
        other => other,
    }
}

/// One CSV line for a spreadsheet: the cells made safe ([`csv_cell`]), `;`-separated, CRLF-ended.
pub fn csv_row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(";");
    line.push_str("\r\n");
    line
}

/// One CSV cell: quoted when needed, and neutralised when a spreadsheet would read it as a formula.
pub fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

impl Core {
    /// Audit events for the API: a platform admin reads everything (or one mission), a manager its
    /// mission's events.
    pub async fn audit_events(
        &self,
        actor: &Actor,
        mission_id: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let limit = limit.clamp(1, MAX_PAGE);
        match mission_id {
            None if actor.platform_admin => Ok(store::list(&self.db, None, after, limit).await?),
            None => Err(Error::Forbidden),
            Some(m) => {
                let (_, viewer) = self.viewer(actor, m).await?;
                let mut event = super::audit::Event::new("audit.read", Some(actor));
                event.mission_id = Some(m.to_owned());
                self.decide(viewer.mission(MissionAction::Audit), event)
                    .await?;
                Ok(store::list(&self.db, Some(m), after, limit).await?)
            }
        }
    }

    /// The record of processing operations of a mission, as CSV for a spreadsheet (UTF-8 with a
    /// byte-order mark, `;` separators, Paris time).
    pub async fn register_csv(&self, actor: &Actor, mission_id: &str) -> Result<String> {
        let (_, viewer) = self.viewer(actor, mission_id).await?;
        let mut event = super::audit::Event::new("mission.register", Some(actor));
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
        let mut out =
            String::from("\u{feff}date;personne;organisme;donnees;operation;resultat\r\n");
        let mut after = 0;
        loop {
            let page = store::list(&self.db, Some(mission_id), after, 1000).await?;
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
                        let folder = match detail.get("folder").and_then(|f| f.as_str()) {
                            Some("deposits") => "dépôts",
                            Some("results") => "résultats",
                            _ => "",
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
                    operation_fr(&e.action).to_owned(),
                    outcome_fr(&e.outcome).to_owned(),
                ]));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("simple"), "simple");
        assert_eq!(csv_cell("a;b"), "\"a;b\"");
        assert_eq!(csv_cell("dit \"x\""), "\"dit \"\"x\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
    }
}

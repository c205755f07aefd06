//! The administrators' journal as CSV: every event matching a search, oldest first.

use super::{csv_row, paris_seconds};
use crate::db::audit_search as store;
use crate::service::journal::{AuditSearch, Subject, JOURNAL_CSV_HEADER};
use crate::service::{Actor, Core, Result};

impl Core {
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
                    words.action_name(e.action.as_str()),
                    e.action.as_str().to_owned(),
                    names.mission(e.mission_id.as_deref()),
                    data,
                    words.outcome_name(e.outcome.as_str()).to_owned(),
                ]));
            }
        }
        Ok(out)
    }
}

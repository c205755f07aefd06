//! The platform register of processing as CSV (UTF-8 with a byte-order mark, `;`, Paris time)
//! and as the rows of its page: one line per mission, in French.

use super::incident_draft::kind_fr;
use super::{csv_row, paris_seconds};
use crate::service::platform_register::RegisterLine;
use crate::service::{Actor, Core, Result};

/// The header of the platform register's CSV (do not rename: spreadsheets read these columns).
pub(crate) const PLATFORM_REGISTER_HEADER: &str = "organisme_responsable;mission;finalite;categories_de_donnees;organismes_participants;conservation;destruction;certificat;transferts_et_stockage";

/// A date (ms) in Paris time, to the day.
fn day(ms: i64) -> String {
    paris_seconds(ms).chars().take(10).collect()
}

/// One line's cells, in the header's order.
pub(crate) fn register_cells(l: &RegisterLine) -> Vec<String> {
    let lang = admin_ui::Lang::Fr;
    // Kinds the scan tells apart (a column named like an e-mail, e-mail values) read as one word.
    let mut words: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for (kind, headers) in &l.categories {
        words
            .entry(kind_fr(kind))
            .or_default()
            .extend(headers.iter().map(String::as_str));
    }
    let categories = if words.is_empty() {
        "aucun identifiant direct détecté dans les dépôts".to_owned()
    } else {
        words
            .iter()
            .map(|(word, headers)| {
                if headers.is_empty() {
                    (*word).to_owned()
                } else {
                    let cols: Vec<String> = headers.iter().map(|h| format!("« {h} »")).collect();
                    format!("{word} (colonnes {})", cols.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let processors = if l.processors.is_empty() {
        "aucun".to_owned()
    } else {
        l.processors
            .iter()
            .map(|(org, roles)| {
                let roles: Vec<&str> = roles.iter().map(|r| lang.role_name(r)).collect();
                format!("{org} ({})", roles.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let retention = match l.results_retained_until {
        Some(t) => format!(
            "fin de la mission le {} ; résultats mis à disposition conservés jusqu'au {}",
            day(l.ends_at),
            day(t)
        ),
        None => format!(
            "fin de la mission le {} ; résultats non conservés au-delà",
            day(l.ends_at)
        ),
    };
    let destruction = match l.destroyed_at {
        Some(t) => format!("détruite le {}", paris_seconds(t)),
        None => "à la fin de la conservation (destruction automatique)".to_owned(),
    };
    let certificate = match l.certificate_issued_at {
        Some(t) => format!(
            "certificat {} émis le {} (/api/v1/missions/{}/certificate)",
            l.mission_id,
            paris_seconds(t),
            l.mission_id
        ),
        None => String::new(),
    };
    vec![
        l.controller.clone(),
        format!("{} ({})", l.mission, lang.mission_status(l.status.as_str())),
        l.purpose.clone(),
        categories,
        processors,
        retention,
        destruction,
        certificate,
        format!(
            "aucun transfert hors de l'Espace économique européen ; stockage chiffré : {} ({})",
            l.backend, l.country
        ),
    ]
}

impl Core {
    /// The platform register as CSV for a spreadsheet.
    pub async fn platform_register_csv(&self, actor: Option<&Actor>) -> Result<String> {
        let lines = self.platform_register(actor).await?;
        let mut out = format!("\u{feff}{PLATFORM_REGISTER_HEADER}\r\n");
        for l in &lines {
            out.push_str(&csv_row(&register_cells(l)));
        }
        Ok(out)
    }

    /// The platform register's rows, for its page.
    pub async fn platform_register_rows(&self, actor: &Actor) -> Result<Vec<Vec<String>>> {
        Ok(self
            .platform_register(Some(actor))
            .await?
            .iter()
            .map(register_cells)
            .collect())
    }
}

//! The access review as CSV: every account, its missions and roles, its last login; then the
//! yearly reviews recorded per organisation.

use super::{csv_row, paris_seconds};
use crate::service::review::{REVIEW_CSV_HEADER, REVIEW_DONE_CSV_HEADER};
use crate::service::{Actor, Core, Result};

impl Core {
    /// The access review as CSV for a spreadsheet (UTF-8 with a byte-order mark, `;`, Paris time,
    /// French words, cells safe from formula injection).
    pub async fn access_review_csv(&self, actor: &Actor) -> Result<String> {
        let fr = admin_ui::Lang::Fr;
        let mut out = format!("\u{feff}{REVIEW_CSV_HEADER}\r\n");
        for r in self.access_review(actor).await? {
            let a = &r.account;
            let missions = r
                .missions
                .iter()
                .map(|m| {
                    let roles: Vec<&str> =
                        m.roles.iter().map(|x| fr.role_name(x.as_str())).collect();
                    format!(
                        "{} ({}) : {}",
                        m.name,
                        fr.mission_status(&m.status),
                        roles.join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join(" | ");
            out.push_str(&csv_row(&[
                a.username.clone(),
                a.display_name.clone(),
                a.organisation.clone(),
                if a.disabled { "désactivé" } else { "actif" }.to_owned(),
                if a.platform_admin { "oui" } else { "non" }.to_owned(),
                missions,
                a.last_login_at
                    .map(paris_seconds)
                    .unwrap_or_else(|| "jamais".to_owned()),
                r.days_without_login.to_string(),
                if r.inactive { "oui" } else { "non" }.to_owned(),
            ]));
        }
        // The yearly reviews recorded, after an empty line, with their own header.
        out.push_str(&format!("\r\n{REVIEW_DONE_CSV_HEADER}\r\n"));
        for d in self.reviews_done(actor).await? {
            out.push_str(&csv_row(&[
                d.organisation,
                paris_seconds(d.reviewed_at),
                d.reviewer,
                d.changes,
            ]));
        }
        Ok(out)
    }
}

//! Download receipts: who downloaded a file and when, read from the audit trail, for those the
//! permission table allows ([`FileAction::ReadReceipts`]).

use super::audit::Outcome;
use super::files::file_event;
use super::permissions::{Decision, FileAction, FileFacts};
use super::{Actor, Core, Result};
use crate::db::receipts as store;
use crate::domain::{AuditAction, File};
use std::collections::HashMap;

/// The most downloads a receipt lists: the newest ones (a file may be downloaded very often;
/// [`Receipt::total`] says how many there were in all).
pub const RECEIPT_LIMIT: i64 = 500;

/// One successful download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// Who downloaded.
    pub user_id: String,
    /// Their display name (their id when the account is gone).
    pub display_name: String,
    /// Their organisation at the time.
    pub organisation_id: String,
    /// When (ms).
    pub at: i64,
    /// A byte range only (`Range`), not the whole file.
    pub partial: bool,
}

/// A file's download receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The newest [`RECEIPT_LIMIT`] downloads at most, oldest first.
    pub downloads: Vec<Download>,
    /// How many successful downloads the trail holds for the file.
    pub total: i64,
}

/// Whether a download event's detail says that only part of the file was read: the trail
/// records the byte range served (`"range": "start-end"`, inclusive) beside the file's `size`,
/// for whole downloads too.
fn is_partial(detail: &serde_json::Value) -> bool {
    let Some(range) = detail.get("range").and_then(serde_json::Value::as_str) else {
        return false;
    };
    let whole = detail
        .get("size")
        .and_then(serde_json::Value::as_i64)
        .filter(|size| *size > 0)
        .map(|size| format!("0-{}", size - 1));
    whole.as_deref() != Some(range)
}

impl From<store::DownloadRow> for Download {
    fn from(r: store::DownloadRow) -> Self {
        let partial = r
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .is_some_and(|d| is_partial(&d));
        Download {
            display_name: r.display_name.unwrap_or_else(|| r.actor.clone()),
            user_id: r.actor,
            organisation_id: r.organisation_id.unwrap_or_default(),
            at: r.at,
            partial,
        }
    }
}

impl Core {
    /// A file's download receipt, recorded in the trail as a read of it.
    pub async fn file_downloads(&self, actor: &Actor, file_id: &str) -> Result<(File, Receipt)> {
        let (mission, _, file) = self
            .file_for(
                actor,
                file_id,
                FileAction::ReadReceipts,
                AuditAction::AuditRead,
            )
            .await?;
        let receipt = self
            .receipt_of(&mission.id, &file.id, RECEIPT_LIMIT)
            .await?;
        let mut event = file_event(AuditAction::AuditRead, actor, &mission.id, Some(&file));
        if let Some(d) = event.detail.as_mut() {
            d["receipt"] = serde_json::json!(receipt.total);
        }
        self.audit.record(event, Outcome::Success).await?;
        Ok((file, receipt))
    }

    /// The receipts of the files of one mission that the caller may read, for a page that lists
    /// them, by file id (the newest `per_file` downloads of each). Recorded as one read of the
    /// trail naming the files.
    pub async fn page_receipts(
        &self,
        actor: &Actor,
        mission_id: &str,
        files: &[File],
        per_file: i64,
    ) -> Result<HashMap<String, Receipt>> {
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let readable: Vec<&File> = files
            .iter()
            .filter(|f| f.mission_id == mission.id)
            .filter(|f| {
                viewer.file(&FileFacts::from(*f), FileAction::ReadReceipts) == Decision::Allow
            })
            .collect();
        let mut out = HashMap::with_capacity(readable.len());
        for f in &readable {
            let receipt = self
                .receipt_of(&mission.id, &f.id, per_file.min(RECEIPT_LIMIT))
                .await?;
            out.insert(f.id.clone(), receipt);
        }
        if !readable.is_empty() {
            let event = file_event(AuditAction::AuditRead, actor, &mission.id, None).detail(
                serde_json::json!({
                    "receipts": readable.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
                }),
            );
            self.audit.record(event, Outcome::Success).await?;
        }
        Ok(out)
    }

    async fn receipt_of(&self, mission_id: &str, file_id: &str, limit: i64) -> Result<Receipt> {
        let (rows, total) = store::downloads(&self.db, mission_id, file_id, limit).await?;
        Ok(Receipt {
            downloads: rows.into_iter().map(Download::from).collect(),
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_partial;
    use serde_json::json;

    #[test]
    fn a_download_is_partial_when_its_range_is_not_the_whole_file() {
        assert!(!is_partial(&json!({"size": 40, "range": "0-39"})));
        assert!(is_partial(&json!({"size": 40, "range": "0-9"})));
        assert!(is_partial(&json!({"size": 40, "range": "10-39"})));
        assert!(!is_partial(&json!({"size": 0})));
        assert!(!is_partial(&json!({"size": 40})));
    }
}

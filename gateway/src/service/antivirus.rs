//! Antivirus: when `antivirus.clamd_socket` or `antivirus.clamd_address` is set, every upload
//! (deposits and results) is scanned by ClamAV's clamd before anyone else can see it.
//!
//! The scan reads the stored blob back through the encrypted store and streams the decrypted
//! chunks to clamd: nothing of the plaintext is written to disk by the gateway. Outcomes:
//! - a signature found: the file is removed (blob, then row), the upload answers 422 naming the
//!   signature, and the trail records `file.virus` (denied);
//! - no verdict (clamd down, a timeout, a size limit of clamd's): the file is kept but held,
//!   `checks.status = pending_scan`, visible to its uploader's organisation only and delivered to
//!   nobody (see the permission table); the trail records `file.scan_held` (failed) with the
//!   reason, and the housekeeping loop retries ([`Core::retry_pending_scans`]) until a scan
//!   succeeds; the trail then records `file.scan` (success), or `file.virus`;
//! - clean: the upload goes on (a deposit to its identifier scan). A clean scan at upload is not
//!   a line of its own: the `file.upload` success that follows it says it.
//!
//! clamd's limits: past `MaxFileSize` (or `MaxScanSize`) clamd answers a silent `OK` unless
//! `AlertExceedsMax yes` is set, with which it answers `Heuristics.Limits.Exceeded.* FOUND`;
//! past `StreamMaxLength` it answers `INSTREAM size limit exceeded. ERROR`. Both mean the file was
//! not wholly scanned: held, not called a virus (an honest large file is not malware, and deleting
//! it would lose the deposit), and retried, so that raising clamd's limits releases it.

use super::audit::{Event, Outcome};
use super::files::file_event;
use super::{Actor, Core, Error, Result, Text};
use crate::antivirus::{Clamd, ClamdError, Verdict};
use crate::db::files as store;
use crate::db::scans;
use crate::domain::AuditAction;
use crate::domain::{CheckStatus, File, Folder};
use futures::StreamExt as _;
use serde_json::json;

/// The answer to anything asked of a file awaiting its scan but looking at it.
pub(crate) fn pending_scan_conflict() -> Error {
    Error::Conflict(Text::new(
        "Ce fichier attend encore son analyse antivirus : il ne peut être ni téléchargé, ni mis à disposition, ni confirmé avant qu'elle aboutisse.",
        "This file is still awaiting its antivirus scan: it cannot be downloaded, released or confirmed until the scan succeeds.",
    ))
}

/// What the antivirus made of a stored file.
enum Scan {
    /// Nothing found.
    Clean,
    /// A signature matched.
    Infected(String),
    /// No verdict: the reason.
    Held(String),
}

impl Core {
    /// Scans a stored file with `clamd`, reading it back decrypted from the store.
    async fn scan_stored(&self, clamd: &Clamd, file: &File) -> Result<Scan> {
        let reader = self
            .blobs
            .read(&file.mission_id, &file.id)
            .await
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("opening file {}: {e}", file.id)))?;
        let content = reader.map(|chunk| chunk.map_err(std::io::Error::other));
        Ok(match clamd.scan(content).await {
            Ok(Verdict::Clean) => Scan::Clean,
            Ok(Verdict::Infected(signature)) => Scan::Infected(signature),
            Ok(Verdict::LimitExceeded(limit)) => {
                Scan::Held(format!("over a size limit of clamd: {limit}"))
            }
            Err(ClamdError::Input(e)) => {
                return Err(Error::Unexpected(anyhow::anyhow!(
                    "reading file {} for the antivirus: {e}",
                    file.id
                )))
            }
            Err(e) => Scan::Held(e.to_string()),
        })
    }

    /// Removes an infected file (blob, then row) and records `file.virus`.
    async fn remove_infected(
        &self,
        actor: Option<&Actor>,
        file: &File,
        signature: &str,
    ) -> Result<()> {
        self.blobs
            .delete(&file.mission_id, &file.id)
            .await
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("deleting blob {}: {e}", file.id)))?;
        store::delete(&self.db, &file.id).await?;
        let mut event = Event::new(AuditAction::FileVirus, actor);
        event.mission_id = Some(file.mission_id.clone());
        event.file_id = Some(file.id.clone());
        event.detail = Some(json!({
            "name": file.name, "folder": file.folder, "size": file.size, "sha256": file.sha256,
            "uploaded_by": file.uploaded_by, "signature": signature,
        }));
        self.audit.record(event, Outcome::Denied).await?;
        tracing::warn!(file = %file.id, mission = %file.mission_id, %signature, "virus found: file removed");
        Ok(())
    }

    /// The antivirus step of an upload, once the blob is stored (`row` in state `stored`, its
    /// size and digest known): `Ok(None)` to go on (clean, or no antivirus configured);
    /// `Ok(Some(row))` when the file was kept held as `pending_scan` (the upload is finished:
    /// answer it with that row); `Err(InvalidRequest)` naming the signature when a virus was
    /// found and the file removed.
    pub(crate) async fn antivirus_gate(&self, actor: &Actor, row: &File) -> Result<Option<File>> {
        let Some(clamd) = self.config.antivirus.clamd() else {
            return Ok(None);
        };
        let scan = match self.scan_stored(&clamd, row).await {
            Ok(scan) => scan,
            Err(e) => {
                // Never leave behind what could not be scanned nor held.
                let _ = self.blobs.delete(&row.mission_id, &row.id).await;
                store::delete(&self.db, &row.id).await?;
                return Err(e);
            }
        };
        match scan {
            Scan::Clean => Ok(None),
            Scan::Infected(signature) => {
                self.remove_infected(Some(actor), row, &signature).await?;
                Err(Error::InvalidRequest(Text::new(
                    format!("Ce fichier contient un virus ou un logiciel malveillant ({signature}) : il a été refusé et supprimé."),
                    format!("This file contains a virus or malware ({signature}): it has been refused and removed."),
                )))
            }
            Scan::Held(reason) => {
                let mut held = row.clone();
                held.check_status = Some(CheckStatus::PendingScan);
                held.check_report = None;
                // Stored through the destruction fence: a mission whose destruction has started
                // takes no file, held or not.
                let success = file_event(
                    AuditAction::FileUpload,
                    actor,
                    &held.mission_id,
                    Some(&held),
                );
                if !self.finish_upload(&held, success).await? {
                    let event = file_event(AuditAction::FileUpload, actor, &held.mission_id, None);
                    return Err(self.abandon_upload(actor, &held, event).await?);
                }
                let mut event = file_event(
                    AuditAction::FileScanHeld,
                    actor,
                    &held.mission_id,
                    Some(&held),
                );
                if let Some(d) = event.detail.as_mut() {
                    d["reason"] = json!(reason);
                }
                self.audit.record(event, Outcome::Failed).await?;
                tracing::warn!(file = %held.id, %reason, "antivirus scan not done: file held");
                Ok(Some(held))
            }
        }
    }

    /// Says in the log, at start-up, whether the configured clamd answers (uploads are held
    /// while it does not; the gateway starts either way).
    pub async fn announce_antivirus(&self) {
        let Some(clamd) = self.config.antivirus.clamd() else {
            tracing::info!("no antivirus configured: uploads are not scanned for viruses");
            return;
        };
        match clamd.ping().await {
            Ok(()) => tracing::info!("clamd answers: every upload is scanned"),
            Err(e) => {
                tracing::warn!(error = %e, "clamd does not answer: uploads will be held until it does")
            }
        }
    }

    /// Retries the scan of files held as `pending_scan` (the housekeeping loop calls this): a
    /// clean file proceeds to its normal state (a deposit through its identifier scan, a result
    /// with no check status), an infected one is removed. Returns how many were finished.
    pub async fn retry_pending_scans(&self) -> Result<usize> {
        let pending = scans::pending(&self.db).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let Some(clamd) = self.config.antivirus.clamd() else {
            // Held files stay held: never delivered unscanned, even once the antivirus is off.
            tracing::warn!(
                files = pending.len(),
                "files await an antivirus scan but no antivirus is configured"
            );
            return Ok(0);
        };
        if let Err(e) = clamd.ping().await {
            tracing::warn!(error = %e, files = pending.len(), "clamd unavailable: held files wait");
            return Ok(0);
        }
        let mut finished = 0;
        for file in &pending {
            match self.retry_one(&clamd, file).await {
                Ok(done) => finished += usize::from(done),
                // One file in trouble must not stop the others' retries.
                Err(e) => tracing::error!(file = %file.id, error = %e, "antivirus retry failed"),
            }
        }
        Ok(finished)
    }

    /// Scans one held file again: `true` when it is no longer held.
    async fn retry_one(&self, clamd: &Clamd, file: &File) -> Result<bool> {
        match self.scan_stored(clamd, file).await? {
            Scan::Held(reason) => {
                tracing::info!(file = %file.id, %reason, "antivirus scan still not done");
                Ok(false)
            }
            Scan::Infected(signature) => {
                self.remove_infected(None, file, &signature).await?;
                Ok(true)
            }
            Scan::Clean => self.finish_clean(file).await,
        }
    }

    /// Moves a held file that scanned clean on to its normal state.
    async fn finish_clean(&self, file: &File) -> Result<bool> {
        let (status, report) = if file.folder == Folder::Deposits {
            let (status, report) = self.scan_deposit(file).await?;
            (Some(status), Some(report))
        } else {
            (None, None)
        };
        if !scans::finish(&self.db, &file.id, status, report.as_deref()).await? {
            return Ok(false);
        }
        let system = |action: AuditAction| {
            let mut e = Event::new(action, None);
            e.mission_id = Some(file.mission_id.clone());
            e.file_id = Some(file.id.clone());
            e.detail = Some(json!({
                "name": file.name, "folder": file.folder, "size": file.size, "sha256": file.sha256,
            }));
            e
        };
        self.audit
            .record(system(AuditAction::FileScan), Outcome::Success)
            .await?;
        if status == Some(CheckStatus::Quarantined) {
            let mut held = system(AuditAction::FileQuarantine);
            if let Some(d) = held.detail.as_mut() {
                d["findings"] =
                    serde_json::from_str(report.as_deref().unwrap_or("[]")).unwrap_or_default();
            }
            self.audit.record(held, Outcome::Denied).await?;
        }
        if file.folder == Folder::Deposits {
            let mut now = file.clone();
            now.check_status = status;
            now.check_report = report;
            if status == Some(CheckStatus::Quarantined) {
                self.notify_deposit_quarantined(&now).await;
            } else {
                self.notify_deposit_arrived(None, &now).await;
            }
        }
        Ok(true)
    }
}

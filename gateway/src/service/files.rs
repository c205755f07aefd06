//! Files: streaming upload into the encrypted store, listing, download, release, deletion.

use super::audit::{Event, Outcome};
use super::lockdown::{locked_down_detail, CutOnLockdown};
use super::missions::stored_window;
use super::permissions::{Decision, FileAction, FileFacts, Folder, MissionAction, Viewer};
use super::upload::{abort_reason, extension, guard, safe_name, UploadAbort};
use super::{new_id, Actor, Core, Error, Result, Text};
use crate::clock::to_millis;
use crate::db::files as store;
use crate::domain::AuditAction;
use crate::domain::{CheckStatus, File, FileState, Mission, MissionStatus};
use bytes::Bytes;
use futures::Stream;
use std::io;

pub(crate) fn file_event(
    action: AuditAction,
    actor: &Actor,
    mission_id: &str,
    file: Option<&File>,
) -> Event {
    let mut e = Event::new(action, Some(actor));
    e.mission_id = Some(mission_id.to_owned());
    if let Some(f) = file {
        e.file_id = Some(f.id.clone());
        e.detail = Some(serde_json::json!({
            "name": f.name, "folder": f.folder, "size": f.size, "sha256": f.sha256,
        }));
    }
    e
}

/// A single byte range as asked, before the file's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// `bytes=a-b`.
    FromTo(u64, u64),
    /// `bytes=a-`.
    From(u64),
    /// `bytes=-n`: the last n bytes.
    Last(u64),
}

impl RangeSpec {
    /// The inclusive range within a file of `size` bytes; `None` when it lies outside.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let last = size.checked_sub(1)?;
        let (start, end) = match self {
            RangeSpec::FromTo(a, b) => (a, b.min(last)),
            RangeSpec::From(a) => (a, last),
            RangeSpec::Last(0) => return None,
            RangeSpec::Last(n) => (size.saturating_sub(n), last),
        };
        (start <= last).then_some((start, end))
    }
}

impl Core {
    /// The extensions a folder accepts, lower case, without the dot.
    pub fn accepted_extensions(&self, folder: Folder) -> Vec<String> {
        let configured = match folder {
            Folder::Deposits => &self.config.uploads.deposit_extensions,
            Folder::Results => &self.config.uploads.result_extensions,
        };
        configured
            .iter()
            .map(|e| e.trim_start_matches('.').to_lowercase())
            .collect()
    }

    /// Refuses file operations on a suspended mission or outside its access window.
    pub(crate) async fn file_gate(&self, mission: &Mission, event: Event) -> Result<()> {
        let refusal = if mission.status == MissionStatus::Suspended {
            Some(Error::MissionSuspended)
        } else if !mission.status.files_open() {
            Some(Error::NotFound)
        } else if stored_window(mission).is_some_and(|w| !w.contains(self.clock.now())) {
            Some(Error::OutsideAccessHours)
        } else {
            None
        };
        match refusal {
            None => Ok(()),
            Some(err) => {
                self.audit.record(event, Outcome::Denied).await?;
                Err(err)
            }
        }
    }

    pub(crate) async fn file_for(
        &self,
        actor: &Actor,
        file_id: &str,
        action: FileAction,
        audit_action: AuditAction,
    ) -> Result<(Mission, Viewer, File)> {
        let file = store::get(&self.db, file_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (mission, viewer) = self.viewer(actor, &file.mission_id).await?;
        let event = file_event(audit_action, actor, &mission.id, Some(&file));
        let decision = viewer.file(&FileFacts::from(&file), action);
        if decision == Decision::Hidden && viewer.sees_mission() {
            // An attempt on a file the caller may not see is still worth a line in the trail.
            self.audit.record(event.clone(), Outcome::Denied).await?;
        }
        self.decide(decision, event.clone()).await?;
        self.file_gate(&mission, event).await?;
        Ok((mission, viewer, file))
    }

    /// Stores an upload streamed from `input` into a mission's folder.
    pub async fn upload<S>(
        &self,
        actor: &Actor,
        mission_id: &str,
        folder: Folder,
        raw_name: &str,
        input: S,
    ) -> Result<File>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
    {
        self.refuse_transfer_if_locked_down(file_event(
            AuditAction::FileUpload,
            actor,
            mission_id,
            None,
        ))
        .await?;
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let action = match folder {
            Folder::Deposits => MissionAction::UploadDeposit,
            Folder::Results => MissionAction::UploadResult,
        };
        let event = file_event(AuditAction::FileUpload, actor, mission_id, None);
        self.decide(viewer.mission(action), event.clone()).await?;
        self.file_gate(&mission, event.clone()).await?;
        let refuse = |fr: String, en: String| Error::InvalidRequest(Text::new(fr, en));
        let Some(name) = safe_name(raw_name) else {
            self.audit.record(event, Outcome::Failed).await?;
            return Err(refuse(
                "Nom de fichier absent ou inutilisable.".into(),
                "Missing or unusable file name.".into(),
            ));
        };
        let accepted = self.accepted_extensions(folder);
        let ext = extension(&name).unwrap_or_default();
        if !accepted.contains(&ext) {
            self.audit.record(event, Outcome::Failed).await?;
            let list = accepted.join(", ");
            let shown = if ext.is_empty() {
                "sans extension".to_owned()
            } else {
                format!(".{ext}")
            };
            let shown_en = if ext.is_empty() {
                "no extension".to_owned()
            } else {
                format!(".{ext}")
            };
            return Err(refuse(
                format!("Type de fichier refusé ({shown}) : formats acceptés : {list}."),
                format!("File type refused ({shown_en}): accepted formats: {list}."),
            ));
        }
        let now = to_millis(self.clock.now());
        let mut row = File {
            id: new_id(),
            mission_id: mission_id.to_owned(),
            folder,
            organisation_id: actor.organisation_id.clone(),
            name,
            size: 0,
            sha256: String::new(),
            uploaded_by: actor.user_id.clone(),
            uploaded_at: now,
            released: false,
            released_at: None,
            expires_at: None,
            state: FileState::Uploading,
            check_status: None,
            check_report: None,
            check_decision: None,
        };
        // The row comes first: should the process die mid-upload, the sweeper finds the row.
        // It is created only while the mission is open (destruction wins every race).
        if !self.open_upload(&row).await? {
            return Err(self.abandon_upload(actor, &row, event).await?);
        }
        let limit = self.config.max_upload_bytes;
        // Stopped as soon as the service is locked down, wherever the lockdown was turned on.
        let input = CutOnLockdown::new(input, self.lockdown_flag.clone(), None);
        let guarded = guard(input, limit, ext.clone());
        // A deposit read front to back (csv) is scanned while it streams in, on the other core,
        // when a place is free; any other file is scanned once stored.
        let live = (folder == Folder::Deposits && super::content::reads_as_stream(&row.name))
            .then(|| self.checker.live_place())
            .flatten();
        let (written, during_upload) = match live {
            None => (self.blobs.write(mission_id, &row.id, guarded).await, None),
            Some(place) => match self.start_live_scan(&row.name, place) {
                // The store's own thread hands the worker each block it has just hashed.
                Some((feed, check)) => {
                    let write =
                        self.blobs
                            .write_tapped(mission_id, &row.id, guarded, Some(Box::new(feed)));
                    let (written, scanned) = tokio::join!(write, check.report());
                    (written, Some(scanned))
                }
                None => (self.blobs.write(mission_id, &row.id, guarded).await, None),
            },
        };
        let receipt = match written {
            Ok(r) => r,
            Err(e) => {
                if self.upload_overtaken(&row).await? {
                    return Err(self.abandon_upload(actor, &row, event).await?);
                }
                let _ = self.blobs.delete(mission_id, &row.id).await;
                store::delete(&self.db, &row.id).await?;
                let mut failed = event.clone();
                failed.detail = Some(
                    serde_json::json!({ "name": row.name, "folder": row.folder, "reason": e.to_string() }),
                );
                return Err(match &e {
                    storage::StorageError::InputAborted(io) => {
                        match abort_reason(io) {
                            Some(UploadAbort::TooLarge(limit)) => {
                                self.audit.record(failed, Outcome::Failed).await?;
                                Error::TooLarge(*limit)
                            }
                            Some(UploadAbort::LockedDown) => {
                                let failed = locked_down_detail(failed, None);
                                self.audit.record(failed, Outcome::Denied).await?;
                                Error::LockedDown
                            }
                            Some(UploadAbort::ContentMismatch(ext)) => {
                                self.audit.record(failed, Outcome::Failed).await?;
                                refuse(
                                format!("Le contenu du fichier ne correspond pas à son extension .{ext} : vérifiez le fichier."),
                                format!("The file's content does not match its .{ext} extension: check the file."),
                            )
                            }
                            None => {
                                self.audit.record(failed, Outcome::Failed).await?;
                                refuse(
                                "L'envoi a été interrompu avant la fin : rien n'a été enregistré.".into(),
                                "The upload was interrupted before the end: nothing was stored.".into(),
                            )
                            }
                        }
                    }
                    _ => {
                        self.audit.record(failed, Outcome::Failed).await?;
                        Error::Unexpected(anyhow::anyhow!("storing file {}: {e}", row.id))
                    }
                });
            }
        };
        row.size = i64::try_from(receipt.plaintext_len).unwrap_or(i64::MAX);
        row.sha256 = hex::encode(receipt.sha256);
        row.state = FileState::Stored;
        if self.upload_overtaken(&row).await? {
            return Err(self.abandon_upload(actor, &row, event).await?);
        }
        // The antivirus next (when configured): a finding removes the file and answers 422; a
        // file clamd could not scan is kept held (`pending_scan`) and goes no further for now.
        if let Some(held) = self.antivirus_gate(actor, &row).await? {
            return Ok(held);
        }
        // A deposit is scanned for direct identifiers before anyone else can see it.
        if folder == Folder::Deposits {
            let (status, report) = self.scan_deposit_with(&row, during_upload).await?;
            row.check_status = Some(status);
            row.check_report = Some(report);
        }
        // Checked once more before the file becomes visible: a lockdown turned on while the
        // last bytes were being stored or scanned keeps it out.
        if self.locked_down().await? {
            self.discard_upload(&row, event, "locked_down").await?;
            return Err(Error::LockedDown);
        }
        let success = file_event(AuditAction::FileUpload, actor, mission_id, Some(&row));
        if !self.finish_upload(&row, success).await? {
            return Err(self.abandon_upload(actor, &row, event).await?);
        }
        if row.check_is(CheckStatus::Quarantined) {
            let mut held = file_event(AuditAction::FileQuarantine, actor, mission_id, Some(&row));
            if let Some(d) = held.detail.as_mut() {
                d["findings"] = serde_json::from_str(row.check_report.as_deref().unwrap_or("[]"))
                    .unwrap_or_default();
            }
            self.audit.record(held, Outcome::Denied).await?;
            self.notify_deposit_quarantined(&row).await;
        } else if folder == Folder::Deposits {
            self.notify_deposit_arrived(Some(actor), &row).await;
        }
        Ok(row)
    }

    /// The files of a mission the caller may see.
    pub async fn list_files(&self, actor: &Actor, mission_id: &str) -> Result<Vec<File>> {
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let event = file_event(AuditAction::FileList, actor, mission_id, None);
        self.decide(viewer.mission(MissionAction::ListFiles), event.clone())
            .await?;
        self.file_gate(&mission, event).await?;
        let files = store::list(&self.db, mission_id).await?;
        Ok(files
            .into_iter()
            .filter(|f| viewer.sees_file(&FileFacts::from(f)))
            .collect())
    }

    /// How many released results of the mission the caller does not see: a manager who is not a
    /// recipient may not read them, but must know they were made available (what the mission's
    /// audit trail, which they read, already says). Only those who may read that trail ask.
    pub async fn released_results_unseen(&self, actor: &Actor, mission_id: &str) -> Result<usize> {
        let (mission, viewer) = self.viewer(actor, mission_id).await?;
        let event = file_event(AuditAction::FileList, actor, mission_id, None);
        self.decide(viewer.mission(MissionAction::Audit), event.clone())
            .await?;
        self.file_gate(&mission, event).await?;
        let files = store::list(&self.db, mission_id).await?;
        Ok(files
            .iter()
            .filter(|f| f.folder == Folder::Results && f.released)
            .filter(|f| !viewer.sees_file(&FileFacts::from(*f)))
            .count())
    }

    /// The cells the last disclosure check of a result refused, for the list the pages export,
    /// to whoever may see the file (absent otherwise, or when there is none). The cells are the
    /// file's content: the export is recorded.
    pub async fn refused_cells(
        &self,
        actor: &Actor,
        file_id: &str,
    ) -> Result<(File, Vec<crate::domain::Violation>)> {
        let (mission, _, file) = self
            .file_for(
                actor,
                file_id,
                FileAction::Inspect,
                AuditAction::FileInspect,
            )
            .await?;
        let violations = file.violations();
        if file.folder != Folder::Results
            || !file.check_is(CheckStatus::Failed)
            || violations.is_empty()
        {
            return Err(Error::NotFound);
        }
        let mut event = file_event(AuditAction::FileInspect, actor, &mission.id, Some(&file));
        if let Some(d) = event.detail.as_mut() {
            d["export"] = serde_json::json!("refused_cells");
            d["cells"] = serde_json::json!(violations.len());
        }
        self.audit.record(event, Outcome::Success).await?;
        Ok((file, violations))
    }

    /// One file's metadata.
    pub async fn file(&self, actor: &Actor, file_id: &str) -> Result<File> {
        Ok(self
            .file_for(
                actor,
                file_id,
                FileAction::Inspect,
                AuditAction::FileInspect,
            )
            .await?
            .2)
    }

    /// Opens a file's content (all of it, or one byte range) and records the download.
    pub async fn download(
        &self,
        actor: &Actor,
        file_id: &str,
        range: Option<RangeSpec>,
    ) -> Result<(File, CutOnLockdown<storage::BlobReader>)> {
        let mut refused = Event::new(AuditAction::FileDownload, Some(actor));
        refused.file_id = Some(file_id.to_owned());
        self.refuse_transfer_if_locked_down(refused).await?;
        let (mission, viewer, file) = self
            .file_for(
                actor,
                file_id,
                FileAction::Download,
                AuditAction::FileDownload,
            )
            .await?;
        let size = u64::try_from(file.size).unwrap_or(0);
        let range = range
            .map(|r| r.resolve(size).ok_or(Error::RangeNotSatisfiable(size)))
            .transpose()?;
        let reader = match range {
            None => self.blobs.read(&mission.id, &file.id).await,
            Some((start, end)) => {
                self.blobs
                    .read_range(&mission.id, &file.id, start, end)
                    .await
            }
        };
        let reader = match reader {
            Ok(r) => r,
            Err(storage::StorageError::RangeNotSatisfiable { .. }) => {
                return Err(Error::RangeNotSatisfiable(file.size as u64))
            }
            Err(e) => {
                return Err(Error::Unexpected(anyhow::anyhow!(
                    "opening file {}: {e}",
                    file.id
                )))
            }
        };
        let mut event = file_event(AuditAction::FileDownload, actor, &mission.id, Some(&file));
        if let (Some(detail), Some((start, end))) = (event.detail.as_mut(), reader.range()) {
            detail["range"] = serde_json::json!(format!("{start}-{end}"));
        }
        self.audit.record(event.clone(), Outcome::Success).await?;
        self.notify_first_download(actor, &file, &viewer).await;
        Ok((file, self.cut_download_on_lockdown(reader, event)))
    }

    /// Deletes a file: its blob, then its row.
    pub async fn delete_file(&self, actor: &Actor, file_id: &str) -> Result<()> {
        let (mission, _, file) = self
            .file_for(actor, file_id, FileAction::Delete, AuditAction::FileDelete)
            .await?;
        self.blobs
            .delete(&mission.id, &file.id)
            .await
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("deleting blob {}: {e}", file.id)))?;
        store::delete(&self.db, &file.id).await?;
        self.audit
            .record(
                file_event(AuditAction::FileDelete, actor, &mission.id, Some(&file)),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }
}

//! Content checks in the exchange: deposits are scanned for direct identifiers before anyone else
//! sees them (quarantine until their organisation confirms), and results pass the statistical
//! disclosure check before release (unless the controller organisation's manager overrides it,
//! with a justification).
//!
//! Files are checked from their encrypted copy through [`BlobSeekReader`], which decrypts only the
//! blocks the checker asks for: no plaintext copy is ever written, and memory stays at one block.

use super::audit::Outcome;
use super::files::file_event;
use super::permissions::FileAction;
use super::upload::extension;
use super::{Actor, Core, Error, Result, Text};
use crate::checks::{self, CheckError, Format};
use crate::clock::rfc3339;
use crate::db::files::{self as store, FileRow};
use futures::StreamExt as _;
use serde_json::{json, Value};
use std::io::{Read, Seek, SeekFrom};

/// Plaintext fetched per read from the store (a multiple of the 64 KiB segment).
const FETCH: u64 = 1024 * 1024;

/// A blocking `Read + Seek` view of a stored file for the checkers (which run on the blocking
/// pool): each miss decrypts one block with a range read; sequential reads decrypt each byte once.
pub struct BlobSeekReader {
    blobs: storage::BlobStore,
    mission_id: String,
    blob_id: String,
    len: u64,
    pos: u64,
    buf: bytes::Bytes,
    buf_start: u64,
    runtime: tokio::runtime::Handle,
}

impl BlobSeekReader {
    fn fetch(&mut self) -> std::io::Result<()> {
        let start = self.pos;
        let end = (start + FETCH).min(self.len) - 1;
        let (blobs, m, b) = (
            self.blobs.clone(),
            self.mission_id.clone(),
            self.blob_id.clone(),
        );
        let block = self.runtime.block_on(async move {
            let mut reader = blobs
                .read_range(&m, &b, start, end)
                .await
                .map_err(std::io::Error::other)?;
            let mut out = bytes::BytesMut::with_capacity((end - start + 1) as usize);
            while let Some(chunk) = reader.next().await {
                out.extend_from_slice(&chunk.map_err(std::io::Error::other)?);
            }
            Ok::<_, std::io::Error>(out.freeze())
        })?;
        self.buf = block;
        self.buf_start = start;
        Ok(())
    }
}

impl Read for BlobSeekReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let in_buf =
            self.pos >= self.buf_start && self.pos < self.buf_start + self.buf.len() as u64;
        if !in_buf {
            self.fetch()?;
        }
        let offset = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf.len() - offset);
        out[..n].copy_from_slice(&self.buf[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobSeekReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// Why a file could not be checked, worded for people.
fn unreadable(e: &CheckError) -> Text {
    Text::new(e.message_fr(), e.message_en())
}

impl Core {
    /// Runs `check` off the async threads on a stored file, read through [`BlobSeekReader`]:
    /// decrypted block by block from the encrypted store, never written anywhere in clear.
    async fn check_blob<T, F>(
        &self,
        file: &FileRow,
        check: F,
    ) -> Result<Option<std::result::Result<T, CheckError>>>
    where
        T: Send + 'static,
        F: FnOnce(BlobSeekReader, Format) -> std::result::Result<T, CheckError> + Send + 'static,
    {
        let Some(format) = extension(&file.name).and_then(|e| Format::from_extension(&e)) else {
            return Ok(None);
        };
        let reader = BlobSeekReader {
            blobs: self.blobs.clone(),
            mission_id: file.mission_id.clone(),
            blob_id: file.id.clone(),
            len: u64::try_from(file.size).unwrap_or(0),
            pos: 0,
            buf: bytes::Bytes::new(),
            buf_start: 0,
            runtime: tokio::runtime::Handle::current(),
        };
        let result = tokio::task::spawn_blocking(move || check(reader, format))
            .await
            .map_err(|e| Error::Unexpected(e.into()))?;
        Ok(Some(result))
    }

    /// Scans a just-stored deposit: `("clean" | "quarantined", findings as JSON)`.
    pub(crate) async fn scan_deposit(&self, file: &FileRow) -> Result<(&'static str, String)> {
        let rules = checks::IdentifierRules::default();
        let outcome = self
            .check_blob(file, move |input, format| {
                checks::scan_identifiers(input, format, &rules)
            })
            .await?;
        let findings: Vec<Value> = match outcome {
            None => Vec::new(),
            Some(Ok(findings)) => findings
                .iter()
                .map(|f| {
                    json!({
                        "sheet": f.sheet, "column": f.column, "kind": f.kind.code(), "count": f.count, "example": f.example,
                        "message": { "fr": f.message_fr(), "en": f.message_en() },
                    })
                })
                .collect(),
            // A file the scan cannot read is held too: nobody else should receive what nobody checked.
            Some(Err(e)) => vec![json!({ "sheet": null, "column": "", "kind": "unreadable", "count": 0, "example": unreadable(&e).fr })],
        };
        let status = if findings.is_empty() {
            "clean"
        } else {
            "quarantined"
        };
        Ok((status, Value::Array(findings).to_string()))
    }

    /// Lets a quarantined deposit through, with the depositor's written justification.
    pub async fn confirm_deposit(
        &self,
        actor: &Actor,
        file_id: &str,
        justification: &str,
    ) -> Result<FileRow> {
        let (mission, _, file) = self
            .file_for(actor, file_id, FileAction::Confirm, "file.confirm")
            .await?;
        if file.check_status.as_deref() != Some("quarantined") {
            return Err(Error::Conflict(Text::new(
                "Ce dépôt n'est pas en quarantaine.",
                "This deposit is not in quarantine.",
            )));
        }
        let justification = justification.trim();
        if justification.is_empty() || justification.chars().count() > 2000 {
            return Err(Error::InvalidRequest(Text::new(
                "Expliquez pourquoi ce dépôt doit être transmis malgré les identifiants relevés (2000 caractères au plus).",
                "Explain why this deposit should go through despite the identifiers found (2000 characters at most).",
            )));
        }
        let decision = json!({ "by": actor.user_id, "at": rfc3339(self.clock.now()), "justification": justification }).to_string();
        store::set_check(&self.db, &file.id, "confirmed", None, Some(&decision)).await?;
        let mut event = file_event("file.confirm", actor, &mission.id, Some(&file));
        if let Some(d) = event.detail.as_mut() {
            d["justification"] = json!(justification);
        }
        self.audit.record(event, Outcome::Success).await?;
        store::get(&self.db, file_id).await?.ok_or(Error::NotFound)
    }

    /// Releases a result to the recipients after its disclosure check, or despite a failed check
    /// when the controller organisation's manager gives a justification.
    pub async fn release(
        &self,
        actor: &Actor,
        file_id: &str,
        override_justification: Option<&str>,
    ) -> Result<FileRow> {
        let now = crate::clock::to_millis(self.clock.now());
        if let Some(justification) = override_justification {
            let (mission, _, file) = self
                .file_for(actor, file_id, FileAction::OverrideRelease, "file.release")
                .await?;
            let justification = justification.trim();
            if justification.is_empty() || justification.chars().count() > 2000 {
                return Err(Error::InvalidRequest(Text::new(
                    "La justification de la dérogation est obligatoire (2000 caractères au plus).",
                    "The justification of the override is required (2000 characters at most).",
                )));
            }
            if file.check_status.as_deref() != Some("failed") {
                return Err(Error::Conflict(Text::new(
                    "Seul un résultat qui a échoué au contrôle de confidentialité peut être mis à disposition par dérogation.",
                    "Only a result that failed the disclosure check can be released by override.",
                )));
            }
            let decision = json!({ "by": actor.user_id, "at": rfc3339(self.clock.now()), "justification": justification }).to_string();
            store::set_check(&self.db, &file.id, "overridden", None, Some(&decision)).await?;
            store::release(&self.db, &file.id, now).await?;
            let mut event = file_event("file.release", actor, &mission.id, Some(&file));
            if let Some(d) = event.detail.as_mut() {
                d["override_justification"] = json!(justification);
            }
            self.audit.record(event, Outcome::Success).await?;
            return store::get(&self.db, file_id).await?.ok_or(Error::NotFound);
        }
        let (mission, _, file) = self
            .file_for(actor, file_id, FileAction::Release, "file.release")
            .await?;
        if file.released != 0 {
            return Ok(file);
        }
        let configured = &self.config.checks;
        let defaults = checks::DisclosureRules::default();
        let rules = checks::DisclosureRules {
            min_count: configured.min_count,
            min_response_rate: configured.min_response_rate,
            count_patterns: configured
                .count_patterns
                .clone()
                .unwrap_or(defaults.count_patterns.clone()),
            share_patterns: configured
                .share_patterns
                .clone()
                .unwrap_or(defaults.share_patterns.clone()),
            response_rate_patterns: configured
                .response_rate_patterns
                .clone()
                .unwrap_or(defaults.response_rate_patterns.clone()),
            ..defaults
        };
        let outcome = self
            .check_blob(&file, move |input, format| {
                checks::check_disclosure(input, format, &rules)
            })
            .await?;
        let violations = match outcome {
            None => Vec::new(),
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                let mut event = file_event("file.release", actor, &mission.id, Some(&file));
                if let Some(d) = event.detail.as_mut() {
                    d["reason"] = json!(e.message_en());
                }
                self.audit.record(event, Outcome::Failed).await?;
                return Err(Error::InvalidRequest(unreadable(&e)));
            }
        };
        if !violations.is_empty() {
            let list: Vec<Value> = violations
                .iter()
                .map(|v| {
                    json!({
                        "sheet": v.sheet, "row": v.row, "column": v.column, "value": v.value, "rule": v.rule.code(),
                        "message": { "fr": v.message_fr(), "en": v.message_en() },
                    })
                })
                .collect();
            let report = Value::Array(list.clone()).to_string();
            store::set_check(&self.db, &file.id, "failed", Some(&report), None).await?;
            let mut event = file_event("file.release", actor, &mission.id, Some(&file));
            if let Some(d) = event.detail.as_mut() {
                d["violations"] = json!(list.len());
            }
            self.audit.record(event, Outcome::Denied).await?;
            return Err(Error::DisclosureCheckFailed(list));
        }
        store::set_check(&self.db, &file.id, "passed", Some("[]"), None).await?;
        store::release(&self.db, &file.id, now).await?;
        self.audit
            .record(
                file_event("file.release", actor, &mission.id, Some(&file)),
                Outcome::Success,
            )
            .await?;
        store::get(&self.db, file_id).await?.ok_or(Error::NotFound)
    }
}

/// The `checks` object of a file, as the API shows it (`None` before any check).
pub fn checks_json(file: &FileRow) -> Option<Value> {
    let status = file.check_status.as_deref()?;
    let report: Value = file
        .check_report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(json!([]));
    let decision: Value = file
        .check_decision
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    Some(if file.folder == "deposits" {
        json!({ "status": status, "findings": report, "confirmation": decision })
    } else {
        json!({ "status": status, "violations": report, "override": decision })
    })
}

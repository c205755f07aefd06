//! Content checks in the exchange: deposits are scanned for direct identifiers before anyone else
//! sees them (quarantine until their organisation confirms), and results pass the statistical
//! disclosure check before release (unless the controller organisation's manager overrides it,
//! with a justification).
//!
//! Every check runs in an isolated worker process ([`crate::worker`]) that reads the file straight
//! from the encrypted store, range by range: no plaintext copy is ever written, and a file that
//! makes a reader misbehave ends the worker, never the gateway. What the checks cannot read, wholly
//! or in part, is never treated as clean: a deposit is quarantined with an `unreadable` finding, a
//! result is refused with an `unreadable` violation.

use super::audit::Outcome;
use super::files::file_event;
use super::permissions::FileAction;
use super::upload::extension;
use super::{Actor, Core, Error, Result, Text};
use crate::clock::rfc3339;
use crate::db::files as store;
use crate::domain::AuditAction;
use crate::domain::{
    Bilingual, CheckStatus, Checks, Decision, File, Finding, Folder, Rule, Thresholds, Violation,
};
use crate::worker::{self, CheckKind, DisclosureSettings, Job};
use futures::{FutureExt as _, StreamExt as _, TryStreamExt as _};
use serde_json::json;

/// Whether a deposit's format is read front to back, so that it can be scanned as it arrives.
pub(crate) fn reads_as_stream(name: &str) -> bool {
    matches!(extension(name).as_deref(), Some("csv" | "tsv" | "txt"))
}

/// Why a check whose worker answered for the other check is not trusted.
fn unexpected_answer() -> Bilingual {
    Bilingual::new(
        "Le contrôle a donné une réponse inattendue.",
        "The check gave an unexpected answer.",
    )
}

/// A report as stored with its file.
fn stored<T: serde::Serialize>(report: &[T]) -> Result<String> {
    serde_json::to_string(report).map_err(|e| Error::Unexpected(e.into()))
}

/// What a worker's run concluded, logged: its report's outcome, or `unreadable` with the reason
/// the worker failed.
fn concluded(
    file: &File,
    result: std::result::Result<worker::Report, worker::Failure>,
) -> worker::Outcome {
    match result {
        Ok(report) => {
            tracing::info!(
                file = %file.id,
                peak_rss_kib = report.peak_rss_kib,
                "content check done"
            );
            report.outcome
        }
        Err(failure) => {
            tracing::warn!(file = %file.id, error = %failure, "content check failed: the file is treated as unreadable");
            worker::Outcome::Unreadable {
                reason_fr: failure.reason_fr(),
                reason_en: failure.reason_en(),
            }
        }
    }
}

impl Core {
    /// The disclosure thresholds in force, which the rules' wording names.
    pub fn thresholds(&self) -> Thresholds {
        self.config.checks.thresholds()
    }

    /// A confirmation or an override by `actor`, now, as stored.
    fn decision(&self, actor: &Actor, justification: &str) -> Result<String> {
        serde_json::to_string(&Decision {
            by: actor.user_id.clone(),
            at: rfc3339(self.clock.now()),
            justification: justification.to_owned(),
        })
        .map_err(|e| Error::Unexpected(e.into()))
    }

    /// The job of one check, with the thresholds in force.
    fn job(&self, name: &str, check: CheckKind, size: Option<u64>) -> Job {
        let configured = &self.config.checks;
        Job {
            check,
            extension: extension(name).unwrap_or_default(),
            size,
            disclosure: DisclosureSettings {
                min_count: configured.min_count,
                min_response_rate: configured.min_response_rate,
                count_patterns: configured.count_patterns.clone(),
                share_patterns: configured.share_patterns.clone(),
                response_rate_patterns: configured.response_rate_patterns.clone(),
            },
        }
    }

    /// Starts the identifier scan of a deposit while it streams in (see
    /// [`worker::Checker::start_live`]); `None` if no worker could be started (the stored file is
    /// then scanned instead).
    pub(crate) fn start_live_scan<'a>(
        &'a self,
        name: &str,
        place: tokio::sync::SemaphorePermit<'a>,
    ) -> Option<(worker::Feed, worker::LiveCheck<'a>)> {
        let job = self.job(name, CheckKind::Identifiers, None);
        match self.checker.start_live(job, place) {
            Ok(started) => Some(started),
            Err(e) => {
                tracing::warn!(error = %e, "the live scan could not start; the stored file will be scanned");
                None
            }
        }
    }

    /// Runs one check on a stored file in an isolated worker. A worker that fails (a limit, a
    /// crash, the deadline) gives [`worker::Outcome::Unreadable`] with the reason.
    async fn run_check(&self, file: &File, check: CheckKind) -> worker::Outcome {
        let size = u64::try_from(file.size).unwrap_or(0);
        let job = self.job(&file.name, check, Some(size));
        let (blobs, mission_id, blob_id) =
            (self.blobs.clone(), file.mission_id.clone(), file.id.clone());
        let open: worker::OpenFrom = Box::new(move |from: u64| {
            let (blobs, m, b) = (blobs.clone(), mission_id.clone(), blob_id.clone());
            async move {
                let reader = blobs
                    .read_range(&m, &b, from, size.saturating_sub(1))
                    .await
                    .map_err(std::io::Error::other)?;
                Ok(reader.map_err(std::io::Error::other).boxed())
            }
            .boxed()
        });
        concluded(file, self.checker.run(job, open).await)
    }

    /// Scans a just-stored deposit: `("clean" | "quarantined", findings as JSON)`.
    pub(crate) async fn scan_deposit(&self, file: &File) -> Result<(CheckStatus, String)> {
        self.scan_deposit_with(file, None).await
    }

    /// [`Core::scan_deposit`], given what a scan during the upload concluded ([`Core::start_live_scan`]),
    /// if it concluded: `None` scans the stored file now.
    pub(crate) async fn scan_deposit_with(
        &self,
        file: &File,
        during_upload: Option<std::result::Result<worker::Report, worker::Failure>>,
    ) -> Result<(CheckStatus, String)> {
        let outcome = match during_upload {
            // A source the worker could not read (a format that seeks) is no verdict: the stored
            // file is checked instead. A limit or a crash is the file's doing, and final.
            Some(Err(worker::Failure::Unavailable(_))) | None => {
                self.run_check(file, CheckKind::Identifiers).await
            }
            Some(result) => concluded(file, result),
        };
        let findings: Vec<Finding> = match outcome {
            worker::Outcome::Findings { findings } => findings
                .into_iter()
                .map(|f| Finding::found(f.sheet, f.column, f.kind, f.count, f.example))
                .collect(),
            // A file the scan cannot read is held too: nobody else should receive what nobody checked.
            worker::Outcome::Unreadable {
                reason_fr,
                reason_en,
            } => vec![Finding::unreadable_file(&Bilingual::new(
                reason_fr, reason_en,
            ))],
            worker::Outcome::Violations { .. } => {
                vec![Finding::unreadable_file(&unexpected_answer())]
            }
        };
        let status = if findings.is_empty() {
            CheckStatus::Clean
        } else {
            CheckStatus::Quarantined
        };
        Ok((status, stored(&findings)?))
    }

    /// Lets a quarantined deposit through, with the depositor's written justification.
    pub async fn confirm_deposit(
        &self,
        actor: &Actor,
        file_id: &str,
        justification: &str,
    ) -> Result<File> {
        let (mission, _, file) = self
            .file_for(
                actor,
                file_id,
                FileAction::Confirm,
                AuditAction::FileConfirm,
            )
            .await?;
        if !file.check_is(CheckStatus::Quarantined) {
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
        let decision = self.decision(actor, justification)?;
        store::set_check(
            &self.db,
            &file.id,
            CheckStatus::Confirmed,
            None,
            Some(&decision),
        )
        .await?;
        let mut event = file_event(AuditAction::FileConfirm, actor, &mission.id, Some(&file));
        if let Some(d) = event.detail.as_mut() {
            d["justification"] = json!(justification);
        }
        self.audit.record(event, Outcome::Success).await?;
        self.notify_deposit_confirmed(actor, &file).await;
        store::get(&self.db, file_id).await?.ok_or(Error::NotFound)
    }

    /// Releases a result to the recipients after its disclosure check, or despite a failed check
    /// when the controller organisation's manager gives a justification.
    pub async fn release(
        &self,
        actor: &Actor,
        file_id: &str,
        override_justification: Option<&str>,
    ) -> Result<File> {
        let now = crate::clock::to_millis(self.clock.now());
        if let Some(justification) = override_justification {
            let (mission, _, file) = self
                .file_for(
                    actor,
                    file_id,
                    FileAction::OverrideRelease,
                    AuditAction::FileRelease,
                )
                .await?;
            let justification = justification.trim();
            if justification.is_empty() || justification.chars().count() > 2000 {
                return Err(Error::InvalidRequest(Text::new(
                    "La justification de la dérogation est obligatoire (2000 caractères au plus).",
                    "The justification of the override is required (2000 characters at most).",
                )));
            }
            if !file.check_is(CheckStatus::Failed) {
                return Err(Error::Conflict(Text::new(
                    "Seul un résultat qui a échoué au contrôle de confidentialité peut être mis à disposition par dérogation.",
                    "Only a result that failed the disclosure check can be released by override.",
                )));
            }
            let decision = self.decision(actor, justification)?;
            store::set_check(
                &self.db,
                &file.id,
                CheckStatus::Overridden,
                None,
                Some(&decision),
            )
            .await?;
            store::release(&self.db, &file.id, now).await?;
            let mut event = file_event(AuditAction::FileRelease, actor, &mission.id, Some(&file));
            if let Some(d) = event.detail.as_mut() {
                d["override_justification"] = json!(justification);
            }
            self.audit.record(event, Outcome::Success).await?;
            self.notify_result_released(actor, &file).await;
            return store::get(&self.db, file_id).await?.ok_or(Error::NotFound);
        }
        let (mission, _, file) = self
            .file_for(
                actor,
                file_id,
                FileAction::Release,
                AuditAction::FileRelease,
            )
            .await?;
        if file.released {
            return Ok(file);
        }
        let t = self.thresholds();
        let violations: Vec<Violation> = match self.run_check(&file, CheckKind::Disclosure).await {
            worker::Outcome::Violations { violations } => violations
                .into_iter()
                .map(|v| match v.rule {
                    Rule::Unreadable => {
                        Violation::unreadable_part(v.sheet.as_deref(), &v.value, &t)
                    }
                    rule => Violation::cell(v.sheet, v.row, v.column, v.value, rule, v.labels, &t),
                })
                .collect(),
            // What the check cannot read is refused like any failed check: only an override of the
            // controller organisation's manager can release it.
            worker::Outcome::Unreadable {
                reason_fr,
                reason_en,
            } => vec![Violation::unreadable_file(&Bilingual::new(
                reason_fr, reason_en,
            ))],
            worker::Outcome::Findings { .. } => {
                vec![Violation::unreadable_file(&unexpected_answer())]
            }
        };
        if !violations.is_empty() {
            let list = violations;
            let report = stored(&list)?;
            store::set_check(&self.db, &file.id, CheckStatus::Failed, Some(&report), None).await?;
            let mut event = file_event(AuditAction::FileRelease, actor, &mission.id, Some(&file));
            if let Some(d) = event.detail.as_mut() {
                d["violations"] = json!(list.len());
            }
            self.audit.record(event, Outcome::Denied).await?;
            self.notify_result_refused(actor, &file, list.len()).await;
            return Err(Error::DisclosureCheckFailed(list));
        }
        store::set_check(&self.db, &file.id, CheckStatus::Passed, Some("[]"), None).await?;
        store::release(&self.db, &file.id, now).await?;
        self.audit
            .record(
                file_event(AuditAction::FileRelease, actor, &mission.id, Some(&file)),
                Outcome::Success,
            )
            .await?;
        self.notify_result_released(actor, &file).await;
        store::get(&self.db, file_id).await?.ok_or(Error::NotFound)
    }
}

/// The `checks` object of a file, as the API shows it (`None` before any check).
pub fn file_checks(file: &File) -> Option<Checks> {
    let status = file.check_status?;
    let decision: Option<Decision> = file
        .check_decision
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    Some(match file.folder {
        Folder::Deposits => Checks::Deposit {
            confirmation: decision,
            findings: file.findings(),
            status,
        },
        Folder::Results => Checks::Result {
            override_: decision,
            status,
            violations: file.violations(),
        },
    })
}

//! Scheduled backups (issue 17): once a day after `backups.schedule` (Paris time), the sweeper
//! runs the code of `passerelle backup` into `backups.dir/passerelle-backup-YYYY-MM-DD`, removes
//! the folders of that form older than `key_export_retention_days` (the retention the README
//! states for key exports, applied to backups), runs the optional off-site hook, and records
//! the outcome: in its own table (the administration home shows the last one), in the audit
//! trail, and, on failure, in an e-mail to every platform administrator.
//!
//! Once across instances: the instance that inserts the day's row runs it (primary key), the
//! others see the row and do nothing. A backup interrupted by a crash stays `running` and is not
//! retried that day: the next day's runs.

use super::audit::{Event, Outcome};
use super::{Core, Result};
use crate::clock::to_millis;
use crate::db::{scheduled_backups as store, users};
use crate::domain::AuditAction;
use chrono::{Duration, NaiveDate};
use std::path::{Path, PathBuf};

/// The name of each day's folder starts with this, followed by the Paris date. Do not change:
/// pruning removes only folders so named.
pub const FOLDER_PREFIX: &str = "passerelle-backup-";

/// The hook's error output is kept up to this many characters.
const HOOK_OUTPUT_MAX: usize = 500;

/// A day's scheduled backup, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledBackup {
    /// The Paris date.
    pub day: String,
    /// When it started (ms).
    pub started_at: i64,
    /// The folder written.
    pub dir: String,
    /// Still running (or interrupted by a stop).
    pub running: bool,
    /// What went wrong; `None` for a success (or while running).
    pub error: Option<String>,
}

impl ScheduledBackup {
    /// It ended in failure.
    pub fn failed(&self) -> bool {
        !self.running && self.error.is_some()
    }
}

/// What one scheduled run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRun {
    /// The folder written.
    pub dir: PathBuf,
    /// Older folders removed.
    pub pruned: usize,
    /// What went wrong (the backup, or the hook); `None` for a success.
    pub error: Option<String>,
}

/// The date in a folder's name, when it is one of ours.
fn folder_date(name: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(name.strip_prefix(FOLDER_PREFIX)?, "%Y-%m-%d").ok()
}

/// Removes the backup folders under `root` dated before `oldest_kept`; answers how many.
fn prune(root: &Path, oldest_kept: NaiveDate) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(date) = name.to_str().and_then(folder_date) else {
            continue;
        };
        if date < oldest_kept && entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Runs the off-site hook with the folder as its last argument; `Err` tells why it failed.
async fn run_hook(argv: &[String], folder: &Path, timeout_secs: u64) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else {
        return Ok(());
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .arg(folder)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("backups.command {program:?} could not start: {e}"))?;
    let waited = tokio::time::timeout(
        std::time::Duration::from_secs(timeout_secs),
        child.wait_with_output(),
    )
    .await;
    match waited {
        Err(_) => Err(format!(
            "backups.command {program:?} was stopped after {timeout_secs} s"
        )),
        Ok(Err(e)) => Err(format!("backups.command {program:?}: {e}")),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => {
            let said: String = String::from_utf8_lossy(&out.stderr)
                .trim()
                .chars()
                .take(HOOK_OUTPUT_MAX)
                .collect();
            Err(format!(
                "backups.command {program:?} failed ({}): {said}",
                out.status
            ))
        }
    }
}

impl Core {
    /// The latest scheduled backup, for the administration home.
    pub async fn last_scheduled_backup(&self) -> Result<Option<ScheduledBackup>> {
        Ok(store::last(&self.db).await?.map(|r| ScheduledBackup {
            running: r.outcome == "running",
            day: r.day,
            started_at: r.started_at,
            dir: r.dir,
            error: r.error,
        }))
    }

    /// Runs today's backup if it is due and no instance ran it yet; `None` when nothing was to
    /// be done here. A failure is recorded and notified, not returned as an error.
    pub async fn scheduled_backup(&self) -> Result<Option<BackupRun>> {
        let settings = &self.config.backups;
        let (Some(at), Some(root)) = (settings.daily_time(), settings.dir.clone()) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let paris = now.with_timezone(&chrono_tz::Europe::Paris);
        if paris.time() < at {
            return Ok(None);
        }
        let today = paris.date_naive();
        let day = today.format("%Y-%m-%d").to_string();
        let folder = root.join(format!("{FOLDER_PREFIX}{day}"));
        let shown = folder.display().to_string();
        if !store::claim(&self.db, &day, to_millis(now), &shown).await? {
            return Ok(None);
        }
        let mut pruned = 0;
        let outcome = async {
            std::fs::create_dir_all(&root)
                .map_err(|e| format!("backups.dir {}: {e}", root.display()))?;
            let summary = crate::backup::backup_with(self, &folder)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(%summary, "scheduled backup written");
            // Only after a backup that worked: a failing day never thins out the older ones.
            let keep = Duration::days(i64::from(self.config.key_export_retention_days));
            // Removing whole folders is blocking work: off the threads that serve requests.
            let (dir, oldest_kept) = (root.clone(), today - keep);
            pruned = tokio::task::spawn_blocking(move || prune(&dir, oldest_kept))
                .await
                .map_err(|e| format!("removing old backups: {e}"))?
                .map_err(|e| format!("removing old backups from {}: {e}", root.display()))?;
            if let Some(argv) = &settings.command {
                run_hook(argv, &folder, settings.command_timeout_secs.unwrap_or(3600)).await?;
            }
            Ok::<(), String>(())
        }
        .await;
        let error = outcome.err();
        store::finish(
            &self.db,
            &day,
            to_millis(self.clock.now()),
            error.as_deref(),
        )
        .await?;
        let event = Event::new(AuditAction::BackupScheduled, None).detail(serde_json::json!({
            "dir": shown,
            "pruned": pruned,
            "error": error,
        }));
        let audited = if error.is_some() {
            Outcome::Failed
        } else {
            Outcome::Success
        };
        self.audit.record(event, audited).await?;
        if let Some(e) = &error {
            tracing::error!(error = %e, "the scheduled backup failed");
            self.tell_admins_backup_failed(&day, e).await?;
        }
        Ok(Some(BackupRun {
            dir: folder,
            pruned,
            error,
        }))
    }

    /// E-mails every enabled platform administrator that the day's backup failed.
    async fn tell_admins_backup_failed(&self, day: &str, error: &str) -> Result<()> {
        let subject =
            format!("[Passerelle] Échec de la sauvegarde du {day} / Backup of {day} failed");
        let body = format!(
            "Bonjour,\n\nLa sauvegarde programmée du {day} a échoué :\n{error}\n\n\
             Elle est signalée sur la page d'accueil de l'administration ; la prochaine aura lieu demain.\n\n\
             ---\n\nHello,\n\nThe scheduled backup of {day} failed:\n{error}\n\n\
             It is shown on the administration home page; the next one runs tomorrow.\n"
        );
        for admin in users::list(&self.db)
            .await?
            .into_iter()
            .filter(|u| u.platform_admin && !u.disabled)
        {
            if let Err(e) = self
                .mailer
                .send_tagged(
                    &admin.display_name,
                    &admin.email,
                    &subject,
                    body.clone(),
                    Some("backup_failed"),
                )
                .await
            {
                tracing::warn!(error = %e, "a backup failure could not be e-mailed");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_dated_folders_are_pruned() {
        let root = tempfile::tempdir().unwrap();
        for name in [
            "passerelle-backup-2026-10-01",
            "passerelle-backup-2026-11-30",
            "passerelle-backup-2026-12-01",
            "autre-2026-01-01",
            "passerelle-backup-pas-une-date",
        ] {
            std::fs::create_dir(root.path().join(name)).unwrap();
        }
        let kept_from = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(prune(root.path(), kept_from).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "autre-2026-01-01",
                "passerelle-backup-2026-12-01",
                "passerelle-backup-pas-une-date"
            ]
        );
    }
}

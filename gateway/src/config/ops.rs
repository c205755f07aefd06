//! The operations settings of issue 17: inactive accounts and scheduled backups.

use super::ConfigError;
use serde::Deserialize;
use std::path::PathBuf;

/// Accounts as the conventions require.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Accounts unused this many days (since their last login, or their creation when they never
    /// signed in) are disabled by the sweeper, after an e-mail sent 14 days before; recorded in
    /// the audit trail. Off when absent (the README recommends 365 in production). From 30 to 3650.
    pub disable_after_inactive_days: Option<u32>,
}

/// Daily backups run by the sweeper (`passerelle backup` into a dated folder).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupsConfig {
    /// The daily time, `HH:MM` in Paris time, after which the day's backup runs (once a day
    /// across every instance sharing the database). Off when absent.
    pub schedule: Option<String>,
    /// The folder that receives one `passerelle-backup-YYYY-MM-DD` folder per day; folders of
    /// that form older than `key_export_retention_days` are removed. Required with `schedule`.
    pub dir: Option<PathBuf>,
    /// A program and its arguments run after each backup (no shell), with the new folder's path
    /// added as the last argument, to copy it off-site; a non-zero exit is a failed backup.
    pub command: Option<Vec<String>>,
    /// The hook is stopped after this many seconds (a failure). Default 3600.
    pub command_timeout_secs: Option<u64>,
}

impl BackupsConfig {
    /// The schedule as (hour, minute), if any.
    pub fn daily_time(&self) -> Option<chrono::NaiveTime> {
        let s = self.schedule.as_deref()?;
        chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
    }

    /// Refuses a schedule that is not `HH:MM`, a schedule without a folder, an empty command.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if let Some(s) = &self.schedule {
            if self.daily_time().is_none() {
                return Err(ConfigError(format!(
                    "backups.schedule must be a daily time such as \"02:30\" (HH:MM, Paris time), not {s:?}"
                )));
            }
            if self.dir.is_none() {
                return Err(ConfigError(
                    "backups.dir must name the folder that receives the scheduled backups".into(),
                ));
            }
        }
        if self
            .command
            .as_ref()
            .is_some_and(|c| c.first().is_none_or(|p| p.trim().is_empty()))
        {
            return Err(ConfigError(
                "backups.command must start with a program, such as [\"/usr/local/bin/copie-hors-site\"]"
                    .into(),
            ));
        }
        if self.command_timeout_secs == Some(0) {
            return Err(ConfigError(
                "backups.command_timeout_secs must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

impl AccountsConfig {
    /// Refuses an inactivity delay outside 30 to 3650 days.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        match self.disable_after_inactive_days {
            Some(d) if !(30..=3650).contains(&d) => Err(ConfigError(format!(
                "accounts.disable_after_inactive_days must be between 30 and 3650 (days), not {d}"
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_folders_and_delays_are_checked() {
        let mut b = BackupsConfig {
            schedule: Some("02:30".into()),
            dir: Some(PathBuf::from("/srv/sauvegardes")),
            ..Default::default()
        };
        assert!(b.check().is_ok());
        assert_eq!(b.daily_time(), chrono::NaiveTime::from_hms_opt(2, 30, 0));
        b.schedule = Some("25:00".into());
        assert!(b.check().unwrap_err().0.contains("backups.schedule"));
        b.schedule = Some("02:30".into());
        b.dir = None;
        assert!(b.check().unwrap_err().0.contains("backups.dir"));
        b.dir = Some(PathBuf::from("/srv/sauvegardes"));
        b.command = Some(vec![]);
        assert!(b.check().unwrap_err().0.contains("backups.command"));
        assert!(BackupsConfig::default().check().is_ok());
        let mut a = AccountsConfig::default();
        assert!(a.check().is_ok());
        a.disable_after_inactive_days = Some(7);
        assert!(a
            .check()
            .unwrap_err()
            .0
            .contains("accounts.disable_after_inactive_days"));
        a.disable_after_inactive_days = Some(365);
        assert!(a.check().is_ok());
    }
}

//! Accounts as the conventions require (issue 17): with `accounts.disable_after_inactive_days`,
//! the sweeper e-mails an account 14 days before it would be disabled for inactivity, then
//! disables it; and the access review gains a yearly "review done" record per organisation.
//!
//! Inactivity counts from the last login, or from the creation (or the last time an
//! administrator enabled the account again) when there is none. An account is disabled only
//! after a warning sent at least 14 days earlier and after its last use, so turning the setting
//! on never disables anyone without notice. The last enabled platform administrator is warned
//! but never disabled: nobody could then administer the platform, answer a lockdown or enable
//! anyone again short of the command line.

use super::audit::{Event, Outcome};
use super::{new_id, Actor, Core, Error, Result, Text};
use crate::clock::{from_millis, paris_en, paris_fr, to_millis};
use crate::db::inactivity::{self as store, ActivityRow};
use crate::db::orgs;
use crate::domain::AuditAction;

/// The warning goes this many days before the account is disabled.
pub const WARNING_DAYS: i64 = 14;

const DAY_MS: i64 = 86_400_000;

/// The free text of a review record is kept up to this many characters.
const CHANGES_MAX: usize = 2000;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct InactivityReport {
    /// Warnings e-mailed.
    pub warned: usize,
    /// Accounts disabled.
    pub disabled: usize,
}

/// A recorded yearly review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDone {
    /// The organisation's name.
    pub organisation: String,
    /// Who reviewed.
    pub reviewer: String,
    /// When (ms).
    pub reviewed_at: i64,
    /// What was changed.
    pub changes: String,
}

impl Core {
    /// One pass over the enabled accounts: warnings due, then accounts due to be disabled.
    pub async fn sweep_inactive_accounts(&self) -> Result<InactivityReport> {
        let mut report = InactivityReport::default();
        let Some(days) = self.config.accounts.disable_after_inactive_days else {
            return Ok(report);
        };
        let limit = i64::from(days) * DAY_MS;
        let now = to_millis(self.clock.now());
        // A reading of every enabled account; each change below is made only if the account is
        // still as read (a login in between wins), and claims its row first, so sweepers on
        // several instances neither warn twice nor disable twice.
        let accounts = store::enabled(&self.db).await?;
        for a in &accounts {
            let last_use = a.last_use();
            let warned = a.inactivity_warned_at.filter(|w| *w >= last_use);
            match warned {
                None if now - last_use >= limit - WARNING_DAYS * DAY_MS => {
                    if !store::claim_warning(&self.db, &a.id, last_use, now).await? {
                        continue;
                    }
                    // Disabled at the end of the delay, and never sooner than the warning allows.
                    let disable_at = (last_use + limit).max(now + WARNING_DAYS * DAY_MS);
                    self.warn_inactive(a, disable_at, days).await?;
                    report.warned += 1;
                }
                Some(w) if now - last_use >= limit && now - w >= WARNING_DAYS * DAY_MS => {
                    // The last enabled platform administrator is kept (checked in the change).
                    if !store::disable_inactive(&self.db, &a.id, last_use).await? {
                        continue;
                    }
                    let mut event = Event::new(AuditAction::UserDisable, None)
                        .target(a.id.clone())
                        .detail(serde_json::json!({
                            "reason": "inactive",
                            "inactive_days": (now - last_use) / DAY_MS,
                            "setting_days": days,
                        }));
                    event.organisation_id = Some(a.organisation_id.clone());
                    self.audit.record(event, Outcome::Success).await?;
                    report.disabled += 1;
                }
                _ => {}
            }
        }
        Ok(report)
    }

    /// E-mails `a` that it will be disabled at `disable_at` (ms) unless it signs in; recorded.
    async fn warn_inactive(&self, a: &ActivityRow, disable_at: i64, days: u32) -> Result<()> {
        let (fr, en) = (
            paris_fr(from_millis(disable_at)),
            paris_en(from_millis(disable_at)),
        );
        let subject = "[Passerelle] Votre compte sera désactivé / Your account will be disabled";
        let body = format!(
            "Bonjour {name},\n\nVous ne vous êtes pas connecté(e) à Passerelle depuis longtemps. \
             Comme le prévoient les conventions, un compte inutilisé pendant {days} jours est désactivé : \
             le vôtre le sera à partir du {fr}, sauf si vous vous connectez d'ici là.\n\n\
             ---\n\nHello {name},\n\nYou have not signed in to Passerelle for a long time. As the \
             agreements require, an account unused for {days} days is disabled: yours will be from \
             {en}, unless you sign in before then.\n",
            name = a.display_name
        );
        if let Err(e) = self
            .mailer
            .send_tagged(
                &a.display_name,
                &a.email,
                subject,
                body,
                Some("inactivity_warning"),
            )
            .await
        {
            tracing::warn!(error = %e, "an inactivity warning could not be e-mailed");
        }
        let mut event = Event::new(AuditAction::InactivityWarning, None)
            .target(a.id.clone())
            .detail(serde_json::json!({ "disable_from": crate::clock::rfc3339(from_millis(disable_at)) }));
        event.organisation_id = Some(a.organisation_id.clone());
        self.audit.record(event, Outcome::Success).await?;
        Ok(())
    }

    /// Records that the yearly access review of an organisation was done (platform admins).
    pub async fn record_review_done(
        &self,
        actor: &Actor,
        organisation_id: &str,
        changes: &str,
    ) -> Result<()> {
        if !actor.platform_admin {
            return Err(Error::Forbidden);
        }
        if orgs::get(&self.db, organisation_id).await?.is_none() {
            return Err(Error::NotFound);
        }
        let changes: String = changes.trim().chars().take(CHANGES_MAX).collect();
        if changes.is_empty() {
            return Err(Error::InvalidRequest(Text::new(
                "Dites ce qui a été changé (ou « rien »).",
                "Say what was changed (or \"nothing\").",
            )));
        }
        let now = to_millis(self.clock.now());
        store::insert_review_done(
            &self.db,
            &new_id(),
            organisation_id,
            &actor.user_id,
            now,
            &changes,
        )
        .await?;
        let event = Event::new(AuditAction::ReviewDone, Some(actor))
            .target(organisation_id.to_owned())
            .detail(serde_json::json!({ "changes": changes }));
        self.audit.record(event, Outcome::Success).await?;
        Ok(())
    }

    /// Every recorded review, newest first (platform admins).
    pub async fn reviews_done(&self, actor: &Actor) -> Result<Vec<ReviewDone>> {
        if !actor.platform_admin {
            return Err(Error::Forbidden);
        }
        Ok(store::reviews_done(&self.db)
            .await?
            .into_iter()
            .map(|r| ReviewDone {
                organisation: r.organisation,
                reviewer: r.reviewer,
                reviewed_at: r.reviewed_at,
                changes: r.changes,
            })
            .collect())
    }
}

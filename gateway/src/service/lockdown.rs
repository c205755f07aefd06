//! The lockdown (issue 17): on a suspected breach, one action interrupts the service.
//!
//! On: every session and bearer token ends at once (the rows go, on every instance at once since
//! they live in the shared database); logins answer 503 `service_locked_down` to everyone but
//! platform administrators; uploads and downloads answer 503 to everyone, administrators
//! included (the data stays where it is until the cause is known); the sweeper goes on
//! destroying what is due. Off: service resumes, people sign in again.
//!
//! The state is one database row, read on every authenticated request, every login step and
//! every upload or download (a primary-key read, no cache): a change made on one instance holds
//! on the next request served by any other, and survives restarts.

use super::audit::{Event, Outcome};
use super::login::SecondFactor;
use super::{Actor, Core, Error, Result, Text};
use crate::clock::to_millis;
use crate::db::{lockdown as store, sessions, users};
use crate::domain::AuditAction;

/// The reason is kept up to this many characters.
const REASON_MAX: usize = 500;

/// The lockdown as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockdown {
    /// The service is interrupted.
    pub active: bool,
    /// Why it was turned on (or off) last.
    pub reason: String,
    /// When it last changed (ms; 0 when it never did).
    pub changed_at: i64,
    /// Who changed it last (`None`: the command line, or never).
    pub changed_by: Option<String>,
}

/// What a lockdown action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockdownChange {
    /// The state changed (false: it already was so; nothing done, nothing recorded).
    pub changed: bool,
    /// Sessions (cookies and bearer tokens) ended by turning it on.
    pub sessions_ended: u64,
}

/// The words of every lockdown refusal, French first in both languages (the page and the JSON
/// are read by people who did not choose their language, in a hurry).
pub fn locked_down_text() -> Text {
    let both = admin_ui::ops_i18n::LOCKED_DOWN_MESSAGE;
    Text::new(both, both)
}

impl Core {
    /// The lockdown as it stands in the database.
    pub async fn lockdown(&self) -> Result<Lockdown> {
        let row = store::get(&self.db).await?;
        Ok(Lockdown {
            active: row.active,
            reason: row.reason,
            changed_at: row.changed_at,
            changed_by: row.changed_by,
        })
    }

    /// Whether the service is locked down now.
    pub async fn locked_down(&self) -> Result<bool> {
        Ok(store::get(&self.db).await?.active)
    }

    /// Refuses with 503 `service_locked_down` while the service is locked down (uploads, downloads).
    pub(crate) async fn refuse_if_locked_down(&self) -> Result<()> {
        if self.locked_down().await? {
            return Err(Error::LockedDown);
        }
        Ok(())
    }

    /// The lockdown, for a platform administrator.
    pub async fn lockdown_for(&self, actor: &Actor) -> Result<Lockdown> {
        if !actor.platform_admin {
            return Err(Error::Forbidden);
        }
        self.lockdown().await
    }

    /// Turns the lockdown on (`on`) or off, from the command line (`actor` is `None`) or by a
    /// platform administrator, whose code (TOTP or recovery code) is checked first. A reason is
    /// required to turn it on. Both directions are recorded with the reason.
    pub async fn set_lockdown(
        &self,
        actor: Option<&Actor>,
        on: bool,
        reason: &str,
        code: Option<&SecondFactor>,
    ) -> Result<LockdownChange> {
        let reason: String = reason.trim().chars().take(REASON_MAX).collect();
        if let Some(a) = actor {
            if !a.platform_admin {
                return Err(Error::Forbidden);
            }
            let user = self.own_user(a).await?;
            let accepted = match code {
                Some(factor) => self.check_second_factor(&user, factor, &a.ip).await?,
                None => false,
            };
            if !accepted {
                let event = lockdown_event(on, Some(a))
                    .detail(serde_json::json!({ "reason": reason, "refused": "wrong_code" }));
                self.audit.record(event, Outcome::Failed).await?;
                return Err(Error::InvalidCode);
            }
        }
        if on && reason.is_empty() {
            return Err(Error::InvalidRequest(Text::new(
                "Donnez la raison de l'interruption du service.",
                "Give the reason for interrupting the service.",
            )));
        }
        if self.locked_down().await? == on {
            return Ok(LockdownChange {
                changed: false,
                sessions_ended: 0,
            });
        }
        let now = to_millis(self.clock.now());
        let changed = store::set(
            &self.db,
            on,
            &reason,
            now,
            actor.map(|a| a.user_id.as_str()),
        )
        .await?;
        // Ended after the row changed: a login finishing in between is refused by the session
        // check, which reads the new state.
        let sessions_ended = if on && changed {
            sessions::delete_all(&self.db).await?
        } else {
            0
        };
        if changed {
            let event = lockdown_event(on, actor).detail(serde_json::json!({
                "reason": reason,
                "via": if actor.is_some() { "web_or_api" } else { "cli" },
                "sessions_ended": sessions_ended,
            }));
            self.audit.record(event, Outcome::Success).await?;
        }
        Ok(LockdownChange {
            changed,
            sessions_ended,
        })
    }

    /// During a lockdown, refuses a login step of anyone but an enabled platform administrator
    /// (recorded as a refused login).
    pub(crate) async fn login_locked_down(
        &self,
        user: Option<&crate::domain::User>,
        ip: &str,
    ) -> Result<()> {
        if user.is_some_and(|u| u.platform_admin && !u.disabled) {
            return Ok(());
        }
        self.refuse_login_locked_down(user, ip).await
    }

    /// During a lockdown, refuses a login step whoever makes it (recorded as a refused login,
    /// with the account when one was named); nothing otherwise.
    pub(crate) async fn refuse_login_locked_down(
        &self,
        user: Option<&crate::domain::User>,
        ip: &str,
    ) -> Result<()> {
        if !self.locked_down().await? {
            return Ok(());
        }
        let mut event = Event::new(AuditAction::LoginFailed, None)
            .detail(serde_json::json!({ "reason": "locked_down" }));
        event.ip = Some(ip.to_owned());
        if let Some(u) = user {
            event.actor = Some(u.id.clone());
            event.organisation_id = Some(u.organisation_id.clone());
        }
        self.audit.record(event, Outcome::Denied).await?;
        Err(Error::LockedDown)
    }

    /// The display name of whoever changed the lockdown last, for the pages.
    pub async fn lockdown_author(&self, lockdown: &Lockdown) -> Result<Option<String>> {
        Ok(match &lockdown.changed_by {
            Some(id) => users::get(&self.db, id).await?.map(|u| u.display_name),
            None => None,
        })
    }
}

fn lockdown_event(on: bool, actor: Option<&Actor>) -> Event {
    let action = if on {
        AuditAction::LockdownOn
    } else {
        AuditAction::LockdownOff
    };
    Event::new(action, actor)
}

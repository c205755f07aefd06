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
//! on the next request served by any other, and survives restarts. Transfers already under way
//! watch the [`LockdownFlag`], which every read of the row refreshes and a watch task reads once
//! a second: within about a second of the lockdown, on every instance, a download stops sending
//! (its connection is cut, the client sees an incomplete file) and an upload stops receiving
//! (nothing of it is kept); an upload that had finished streaming is checked once more before
//! it is committed. Each cut transfer is recorded, as is every transfer refused.

use super::audit::{Event, Outcome};
use super::login::SecondFactor;
use super::upload::UploadAbort;
use super::{Actor, Core, Error, Result, Text};
use crate::clock::to_millis;
use crate::db::{lockdown as store, sessions, users};
use crate::domain::AuditAction;
use bytes::Bytes;
use futures::Stream;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// How often a running instance reads the lockdown row for the transfers in flight.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The lockdown as this process last read it, shared by the transfers in flight.
#[derive(Debug, Clone, Default)]
pub struct LockdownFlag(Arc<AtomicBool>);

impl LockdownFlag {
    /// Whether the service was locked down at the last reading.
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, on: bool) {
        self.0.store(on, Ordering::Release);
    }
}

/// A transfer's stream that ends with an error as soon as the lockdown is seen on: a download's
/// body (hyper then cuts the connection, so the client never takes the file for whole) or an
/// upload's input (the upload then fails with [`UploadAbort::LockedDown`] and keeps nothing).
pub struct CutOnLockdown<S> {
    inner: S,
    flag: LockdownFlag,
    sent: u64,
    cut: bool,
    on_cut: Option<Box<dyn FnOnce(u64) + Send>>,
}

impl<S> CutOnLockdown<S> {
    /// Watches `inner`; `on_cut` is called once, with the bytes passed before the cut.
    pub fn new(inner: S, flag: LockdownFlag, on_cut: Option<Box<dyn FnOnce(u64) + Send>>) -> Self {
        Self {
            inner,
            flag,
            sent: 0,
            cut: false,
            on_cut,
        }
    }

    /// The stream watched.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// The error a cut stream ends with.
pub trait CutError {
    /// The error saying the lockdown stopped the transfer.
    fn locked_down() -> Self;
}

impl CutError for io::Error {
    fn locked_down() -> Self {
        io::Error::other(UploadAbort::LockedDown)
    }
}

impl CutError for storage::StorageError {
    fn locked_down() -> Self {
        storage::StorageError::InputAborted(io::Error::locked_down())
    }
}

impl<S, E> Stream for CutOnLockdown<S>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: CutError,
{
    type Item = std::result::Result<Bytes, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.cut {
            return Poll::Ready(None);
        }
        if this.flag.is_on() {
            this.cut = true;
            if let Some(f) = this.on_cut.take() {
                f(this.sent);
            }
            return Poll::Ready(Some(Err(E::locked_down())));
        }
        let item = Pin::new(&mut this.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &item {
            this.sent += chunk.len() as u64;
        }
        item
    }
}

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
        let active = store::get(&self.db).await?.active;
        self.lockdown_flag.set(active);
        Ok(active)
    }

    /// Reads the lockdown once a second for the transfers in flight, until the task is dropped.
    pub async fn watch_lockdown(self) {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.locked_down().await {
                tracing::warn!(error = %e, "the lockdown could not be read");
            }
        }
    }

    /// Refuses with 503 `service_locked_down` while the service is locked down (uploads,
    /// downloads), recording the refused `event` (its outcome is `denied`).
    pub(crate) async fn refuse_transfer_if_locked_down(&self, event: Event) -> Result<()> {
        if self.locked_down().await? {
            self.audit
                .record(locked_down_detail(event, None), Outcome::Denied)
                .await?;
            return Err(Error::LockedDown);
        }
        Ok(())
    }

    /// A download's body that stops when the service is locked down, recording the cut.
    pub(crate) fn cut_download_on_lockdown(
        &self,
        reader: storage::BlobReader,
        event: Event,
    ) -> CutOnLockdown<storage::BlobReader> {
        let audit = self.audit.clone();
        let on_cut = Box::new(move |sent: u64| {
            tokio::spawn(async move {
                let event = locked_down_detail(event, Some(sent));
                if let Err(e) = audit.record(event, Outcome::Denied).await {
                    tracing::error!(error = %e, "a download cut by the lockdown was not recorded");
                }
            });
        });
        CutOnLockdown::new(reader, self.lockdown_flag.clone(), Some(on_cut))
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
        self.lockdown_flag.set(on);
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

/// `event` marked as refused (or cut, after `sent` bytes) by the lockdown.
pub(crate) fn locked_down_detail(mut event: Event, sent: Option<u64>) -> Event {
    let detail = event.detail.get_or_insert_with(|| serde_json::json!({}));
    if let Some(map) = detail.as_object_mut() {
        map.insert("reason".into(), serde_json::json!("locked_down"));
        if let Some(sent) = sent {
            map.insert("cut_after_bytes".into(), serde_json::json!(sent));
        }
    }
    event
}

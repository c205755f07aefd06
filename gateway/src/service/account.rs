//! The self-service account: a person changes their own password, sees and ends their sessions,
//! renews their recovery codes and enrols a new authenticator. Every change needs proof beyond
//! the session (the current password, or a second factor), is throttled like a login, and is
//! recorded in the audit trail.

use super::audit::{Event, Outcome};
use super::login::SecondFactor;
use super::sessions::{Session, SessionKind};
use super::{password_policy, throttle, token_hash, totp, Actor, Core, Error, Result};
use crate::clock::{from_millis, to_millis};
use crate::db::{sessions as session_store, users};
use crate::domain::{AuditAction, User};
use chrono::{DateTime, Utc};

/// One of the person's live sessions.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Public id (derived from the stored hash; never the token).
    pub id: String,
    /// Browser or script.
    pub kind: SessionKind,
    /// Sign-in instant.
    pub created_at: DateTime<Utc>,
    /// Last use.
    pub last_seen_at: DateTime<Utc>,
    /// Address at sign-in.
    pub ip: Option<String>,
    /// The client's `User-Agent` at sign-in.
    pub user_agent: Option<String>,
    /// The session asking.
    pub current: bool,
}

/// A new authenticator key to scan, then confirm with a code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
    /// The secret in base32, to type in by hand.
    pub secret_base32: String,
}

/// The public id of a session: a digest of its stored hash, so that a listed id opens nothing.
pub fn session_public_id(id_hash: &str) -> String {
    token_hash(&format!("passerelle session id v1|{id_hash}"))
        .chars()
        .take(32)
        .collect()
}

fn kind_of(stored: &str) -> SessionKind {
    if stored == "cookie" {
        SessionKind::Cookie
    } else {
        SessionKind::Bearer
    }
}

impl Core {
    pub(crate) async fn own_user(&self, actor: &Actor) -> Result<User> {
        users::get(&self.db, &actor.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(Error::Unauthenticated)
    }

    pub(crate) async fn record_own(
        &self,
        action: AuditAction,
        actor: &Actor,
        outcome: Outcome,
        detail: serde_json::Value,
    ) -> Result<()> {
        let event = Event::new(action, Some(actor))
            .target(actor.user_id.clone())
            .detail(detail);
        self.audit.record(event, outcome).await?;
        Ok(())
    }

    /// Checks a second factor of `user` (a TOTP code, accepted once per step, or a recovery
    /// code, used up), throttled on the account and the address like a login.
    pub(crate) async fn check_second_factor(
        &self,
        user: &User,
        factor: &SecondFactor,
        ip: &str,
    ) -> Result<bool> {
        let keys = throttle::Keys::new(&user.username, ip, &self.config.throttle);
        let now = self.clock.now();
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        let accepted = self
            .second_factor_accepted(user, factor, now.timestamp())
            .await?;
        if accepted {
            throttle::refund(&self.db, &keys, now).await?;
        }
        Ok(accepted)
    }

    /// Changes the caller's password: the current one is required, the policy applies, and every
    /// other session of theirs ends. Answers how many sessions ended.
    pub async fn change_own_password(
        &self,
        session: &Session,
        current: &str,
        new_password: &str,
    ) -> Result<u64> {
        let actor = &session.actor;
        let user = self.own_user(actor).await?;
        let keys = throttle::Keys::new(&user.username, &actor.ip, &self.config.throttle);
        let now = self.clock.now();
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            self.record_own(
                AuditAction::PasswordChange,
                actor,
                Outcome::Denied,
                serde_json::json!({"via": "account", "reason": "throttled"}),
            )
            .await?;
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        if !self
            .passwords
            .verify(current, Some(&user.password_hash))
            .await?
        {
            self.record_own(
                AuditAction::PasswordChange,
                actor,
                Outcome::Failed,
                serde_json::json!({"via": "account", "reason": "wrong_password"}),
            )
            .await?;
            return Err(Error::InvalidCredentials);
        }
        throttle::refund(&self.db, &keys, now).await?;
        if let Err(weak) = password_policy::check(new_password, &user.username, &user.email) {
            self.record_own(
                AuditAction::PasswordChange,
                actor,
                Outcome::Failed,
                serde_json::json!({"via": "account", "reason": "weak_password"}),
            )
            .await?;
            return Err(Error::WeakPassword(weak));
        }
        if current == new_password {
            return Err(Error::SamePassword);
        }
        let hash = self.passwords.hash(new_password).await?;
        let ended = users::change_password(
            &self.db,
            &user.id,
            &hash,
            to_millis(now),
            Some(&session.id_hash),
        )
        .await?;
        self.record_own(
            AuditAction::PasswordChange,
            actor,
            Outcome::Success,
            serde_json::json!({"via": "account", "sessions_ended": ended}),
        )
        .await?;
        Ok(ended)
    }

    /// The caller's live sessions, most recently used first, the asking one marked.
    pub async fn my_sessions(&self, session: &Session) -> Result<Vec<SessionInfo>> {
        let rows = session_store::of_user(
            &self.db,
            &session.actor.user_id,
            to_millis(self.clock.now()),
            self.idle_ms(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SessionInfo {
                id: session_public_id(&r.id_hash),
                kind: kind_of(&r.kind),
                created_at: from_millis(r.created_at),
                last_seen_at: from_millis(r.last_seen_at),
                ip: r.ip,
                user_agent: r.user_agent,
                current: r.id_hash == session.id_hash,
            })
            .collect())
    }

    /// Ends one of the caller's sessions by its public id (404 for anyone else's).
    pub async fn end_my_session(&self, session: &Session, id: &str) -> Result<()> {
        let rows = session_store::of_user(
            &self.db,
            &session.actor.user_id,
            to_millis(self.clock.now()),
            self.idle_ms(),
        )
        .await?;
        let Some(row) = rows.iter().find(|r| session_public_id(&r.id_hash) == id) else {
            return Err(Error::NotFound);
        };
        if !session_store::delete_own(&self.db, &session.actor.user_id, &row.id_hash).await? {
            return Err(Error::NotFound);
        }
        self.record_own(
            AuditAction::SessionEnd,
            &session.actor,
            Outcome::Success,
            serde_json::json!({"session": id, "own": row.id_hash == session.id_hash}),
        )
        .await?;
        Ok(())
    }

    /// How many unused recovery codes the caller has.
    pub async fn recovery_codes_left(&self, actor: &Actor) -> Result<i64> {
        Ok(users::recovery_codes_left(&self.db, &actor.user_id).await?)
    }

    /// New recovery codes for the caller (the old ones die), after a current TOTP code or a
    /// recovery code. The codes are shown once; only their hashes are kept.
    pub async fn regenerate_recovery_codes(
        &self,
        actor: &Actor,
        factor: &SecondFactor,
    ) -> Result<Vec<String>> {
        let user = self.own_user(actor).await?;
        if !self.check_second_factor(&user, factor, &actor.ip).await? {
            self.record_own(
                AuditAction::RecoveryCodes,
                actor,
                Outcome::Failed,
                serde_json::json!({"reason": "wrong_code"}),
            )
            .await?;
            return Err(Error::InvalidCode);
        }
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
        users::replace_recovery_codes(&self.db, &user.id, &hashes).await?;
        self.record_own(
            AuditAction::RecoveryCodes,
            actor,
            Outcome::Success,
            serde_json::json!({"count": codes.len()}),
        )
        .await?;
        Ok(codes)
    }

    /// Starts enrolling a new authenticator, after a current TOTP code or a recovery code: a
    /// new key is offered (the current one keeps working until the new one is confirmed).
    pub async fn start_reenrolment(
        &self,
        actor: &Actor,
        factor: &SecondFactor,
    ) -> Result<Enrolment> {
        let user = self.own_user(actor).await?;
        if !self.check_second_factor(&user, factor, &actor.ip).await? {
            self.record_own(
                AuditAction::TotpReenrol,
                actor,
                Outcome::Failed,
                serde_json::json!({"step": "verify", "reason": "wrong_code"}),
            )
            .await?;
            return Err(Error::InvalidCode);
        }
        let secret = totp::new_secret();
        users::set_pending_totp(&self.db, &user.id, &self.seal_secret(&user.id, &secret)?).await?;
        self.record_own(
            AuditAction::TotpReenrol,
            actor,
            Outcome::Success,
            serde_json::json!({"step": "verify"}),
        )
        .await?;
        Ok(Enrolment {
            otpauth_uri: totp::otpauth_uri(&secret, &self.config.totp_issuer, &user.username)?,
            secret_base32: totp::secret_base32(&secret),
        })
    }

    /// The sealed key of a re-enrolment started from the account page: only for an account whose
    /// second factor is in place (an app, or passkeys where they replace it), never the key a
    /// first login offers.
    async fn reenrolment_pending<'u>(&self, user: &'u User) -> Result<Option<&'u str>> {
        let in_place =
            user.totp_secret.is_some() || crate::db::passkeys::any(&self.db, &user.id).await?;
        Ok(user.totp_pending_secret.as_deref().filter(|_| in_place))
    }

    /// The key offered by a started re-enrolment, to show it again (`None` when none is pending).
    pub async fn pending_reenrolment(&self, actor: &Actor) -> Result<Option<Enrolment>> {
        let user = self.own_user(actor).await?;
        let Some(sealed) = self.reenrolment_pending(&user).await? else {
            return Ok(None);
        };
        let secret = self.open_secret(&user.id, sealed)?;
        Ok(Some(Enrolment {
            otpauth_uri: totp::otpauth_uri(&secret, &self.config.totp_issuer, &user.username)?,
            secret_base32: totp::secret_base32(&secret),
        }))
    }

    /// Confirms the new authenticator with a code it shows: it replaces the old one, and new
    /// recovery codes replace the old ones (shown once).
    pub async fn confirm_reenrolment(&self, actor: &Actor, code: &str) -> Result<Vec<String>> {
        let user = self.own_user(actor).await?;
        let Some(sealed) = self.reenrolment_pending(&user).await? else {
            return Err(Error::Conflict(super::Text::new(
                "Aucun nouvel authentificateur n'est en cours d'enregistrement : recommencez depuis la page de votre compte.",
                "No new authenticator is being enrolled: start again from your account page.",
            )));
        };
        let keys = throttle::Keys::new(&user.username, &actor.ip, &self.config.throttle);
        let now = self.clock.now();
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        let secret = self.open_secret(&user.id, sealed)?;
        let Some(step) = totp::matching_step(&secret, code, now.timestamp())? else {
            self.record_own(
                AuditAction::TotpReenrol,
                actor,
                Outcome::Failed,
                serde_json::json!({"step": "confirm", "reason": "wrong_code"}),
            )
            .await?;
            return Err(Error::InvalidCode);
        };
        throttle::refund(&self.db, &keys, now).await?;
        let codes = self.complete_totp_enrolment(&user.id, sealed, step).await?;
        self.record_own(
            AuditAction::TotpReenrol,
            actor,
            Outcome::Success,
            serde_json::json!({"step": "confirm"}),
        )
        .await?;
        Ok(codes)
    }
}

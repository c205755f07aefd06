//! The three-step login: password, then password change (first login or reset), then TOTP
//! enrollment or verification. Each step hands out a single-use challenge valid five minutes.

use super::audit::{Event, Outcome};
use super::sessions::{NewSession, SessionKind};
use super::{password_policy, random_token, throttle, token_hash, totp, Core, Error, Result};
use crate::clock::to_millis;
use crate::db::auth::{self as challenges, ChallengeRow};
use crate::db::users;
use crate::domain::AuditAction;
use crate::domain::User;
use base64::Engine as _;

/// A challenge lives this long.
const CHALLENGE_SECS: i64 = 5 * 60;
/// Wrong answers one challenge tolerates before it is withdrawn.
const CHALLENGE_MAX_FAILURES: i64 = 5;

/// The next thing the user must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Replace the one-time (or expired) password.
    ChangePassword,
    /// Register an authenticator app.
    EnrollTotp {
        /// The `otpauth://` URI to scan.
        otpauth_uri: String,
        /// The secret in base32, to type in by hand.
        secret_base32: String,
    },
    /// Give the current TOTP code (or a recovery code), or use a passkey.
    Totp {
        /// For an account with passkeys: the WebAuthn request options (`{"publicKey": ...}`,
        /// JSON) for `navigator.credentials.get`.
        passkey_options: Option<String>,
    },
}

impl Step {
    /// The step's name in the contract.
    pub fn name(&self) -> &'static str {
        match self {
            Step::ChangePassword => "change_password",
            Step::EnrollTotp { .. } => "enroll_totp",
            Step::Totp { .. } => "totp",
        }
    }
}

/// A step and the challenge that answers it.
#[derive(Debug, Clone)]
pub struct Issued {
    /// What to do next.
    pub step: Step,
    /// The single-use challenge.
    pub challenge: String,
}

/// The second factor offered.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    /// A 6-digit TOTP code.
    Code(String),
    /// One of the recovery codes.
    RecoveryCode(String),
    /// A passkey's answer to the challenge's WebAuthn options (the browser's
    /// `PublicKeyCredential`, as JSON); at login only.
    Passkey(serde_json::Value),
}

/// A completed login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The session.
    pub session: NewSession,
    /// Recovery codes, right after enrollment only.
    pub recovery_codes: Option<Vec<String>>,
    /// The user.
    pub user_id: String,
}

fn sealed_aad(user_id: &str) -> Vec<u8> {
    format!("passerelle totp secret v1|{user_id}").into_bytes()
}

impl Core {
    pub(crate) fn seal_secret(&self, user_id: &str, secret: &[u8]) -> Result<String> {
        let sealed = self
            .secrets
            .seal(&sealed_aad(user_id), secret)
            .map_err(|e| anyhow::anyhow!("sealing the TOTP secret of {user_id}: {e}"))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    pub(crate) fn open_secret(
        &self,
        user_id: &str,
        sealed: &str,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|e| anyhow::anyhow!("stored TOTP secret of {user_id} is not base64: {e}"))?;
        self.secrets
            .open(&sealed_aad(user_id), &bytes)
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("TOTP secret of {user_id}: {e}")))
    }

    /// Whether `factor` is a second factor of `user` now: a code of the enrolled TOTP key (each
    /// time step accepted once: a replayed or older code fails) or an unused recovery code (used
    /// up). No throttling here: the callers reserve and refund.
    pub(crate) async fn second_factor_accepted(
        &self,
        user: &User,
        factor: &SecondFactor,
        unix: i64,
    ) -> Result<bool> {
        Ok(match factor {
            SecondFactor::Code(code) => match user.totp_secret.as_deref() {
                Some(sealed) => {
                    let secret = self.open_secret(&user.id, sealed)?;
                    match totp::matching_step(&secret, code, unix)? {
                        Some(step) => users::accept_totp_step(&self.db, &user.id, step).await?,
                        None => false,
                    }
                }
                None => false,
            },
            SecondFactor::RecoveryCode(code) => {
                users::use_recovery_code(&self.db, &user.id, &totp::recovery_code_hash(code))
                    .await?
            }
            // A passkey answers a login challenge only (its options come with the challenge).
            SecondFactor::Passkey(_) => false,
        })
    }

    /// Makes the sealed key `sealed` the account's only TOTP key (codes from `step` on are
    /// accepted) with new recovery codes, which it answers (shown once).
    pub(crate) async fn complete_totp_enrolment(
        &self,
        user_id: &str,
        sealed: &str,
        step: i64,
    ) -> Result<Vec<String>> {
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
        users::complete_enrollment(&self.db, user_id, sealed, step, &hashes).await?;
        // Enrolled: a pending invitation has nothing left to do.
        crate::db::mail_tokens::revoke(
            &self.db,
            user_id,
            super::mail_tokens::Purpose::Invitation.as_str(),
        )
        .await?;
        Ok(codes)
    }

    fn password_expired(&self, user: &User) -> bool {
        match self.config.passwords.max_age_days {
            None => false,
            Some(days) => {
                let age = to_millis(self.clock.now()) - user.password_changed_at;
                age >= i64::from(days) * 86_400_000
            }
        }
    }

    pub(super) async fn issue(&self, user: &User) -> Result<Issued> {
        let mut webauthn_state = None;
        let step = if user.must_change_password || self.password_expired(user) {
            Step::ChangePassword
        } else if user.totp_secret.is_none()
            && !crate::db::passkeys::any(&self.db, &user.id).await?
        {
            // No app, and no passkeys in its place (`auth.passkeys_replace_totp`): enrol one.
            let secret = totp::new_secret();
            users::set_pending_totp(&self.db, &user.id, &self.seal_secret(&user.id, &secret)?)
                .await?;
            Step::EnrollTotp {
                otpauth_uri: totp::otpauth_uri(&secret, &self.config.totp_issuer, &user.username)?,
                secret_base32: totp::secret_base32(&secret),
            }
        } else {
            let started = self.passkey_login_start(user).await?;
            let passkey_options = started.map(|(options, state)| {
                webauthn_state = Some(state);
                options
            });
            Step::Totp { passkey_options }
        };
        let challenge = random_token();
        challenges::insert_challenge(
            &self.db,
            &ChallengeRow {
                id_hash: token_hash(&challenge),
                user_id: user.id.clone(),
                step: step.name().to_owned(),
                failures: 0,
                expires_at: to_millis(self.clock.now()) + CHALLENGE_SECS * 1000,
                webauthn_options: match &step {
                    Step::Totp { passkey_options } => passkey_options.clone(),
                    _ => None,
                },
                webauthn_state,
            },
        )
        .await?;
        Ok(Issued { step, challenge })
    }

    async fn refuse(
        &self,
        action: AuditAction,
        user: Option<&User>,
        ip: &str,
        outcome: Outcome,
        why: &str,
    ) -> Result<()> {
        let mut event = Event::new(action, None).detail(serde_json::json!({ "reason": why }));
        event.ip = Some(ip.to_owned());
        if let Some(u) = user {
            event.actor = Some(u.id.clone());
            event.organisation_id = Some(u.organisation_id.clone());
        }
        self.audit.record(event, outcome).await?;
        Ok(())
    }

    /// Step 1: the password.
    pub async fn login_password(&self, username: &str, password: &str, ip: &str) -> Result<Issued> {
        let username = username.trim().to_lowercase();
        let keys = throttle::Keys::new(&username, ip, &self.config.throttle);
        let now = self.clock.now();
        // The attempt is counted before argon2 runs: concurrent guesses cannot outrun the rule.
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            let user = users::by_username(&self.db, &username).await?;
            self.refuse(
                AuditAction::LoginFailed,
                user.as_ref(),
                ip,
                Outcome::Denied,
                "throttled",
            )
            .await?;
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        let user = users::by_username(&self.db, &username).await?;
        // Unknown users are verified against a dummy hash and disabled ones against their own:
        // every refusal costs one argon2 verification, so timing tells nothing.
        let ok = self
            .passwords
            .verify_from(
                ip,
                password,
                user.as_ref().map(|u| u.password_hash.as_str()),
            )
            .await?;
        // During a lockdown everyone but a platform administrator with the right password gets
        // the same 503, whatever the password: it tells nothing of the account.
        let admin_ok = ok
            && user
                .as_ref()
                .is_some_and(|u| u.platform_admin && !u.disabled);
        if !admin_ok {
            self.refuse_login_locked_down(user.as_ref(), ip).await?;
        }
        match user {
            Some(user) if ok && !user.disabled => {
                throttle::refund(&self.db, &keys, now).await?;
                self.issue(&user).await
            }
            user => {
                let why = match &user {
                    None => "unknown_user",
                    Some(u) if u.disabled => "disabled",
                    Some(_) => "wrong_password",
                };
                self.refuse(
                    AuditAction::LoginFailed,
                    user.as_ref(),
                    ip,
                    Outcome::Failed,
                    why,
                )
                .await?;
                Err(Error::InvalidCredentials)
            }
        }
    }

    async fn challenge_for(&self, challenge: &str, steps: &[&str]) -> Result<(ChallengeRow, User)> {
        let row = challenges::challenge(&self.db, &token_hash(challenge))
            .await?
            .ok_or(Error::InvalidChallenge)?;
        if row.expires_at <= to_millis(self.clock.now()) || !steps.contains(&row.step.as_str()) {
            return Err(Error::InvalidChallenge);
        }
        let user = users::get(&self.db, &row.user_id)
            .await?
            .ok_or(Error::InvalidChallenge)?;
        if user.disabled {
            return Err(Error::InvalidChallenge);
        }
        Ok((row, user))
    }

    /// The step a pending challenge waits for, without using it up: to show its page again (in
    /// the other language, or with the enrollment key after a wrong code).
    pub async fn login_step(&self, challenge: &str) -> Result<Step> {
        let (row, user) = self
            .challenge_for(challenge, &["change_password", "enroll_totp", "totp"])
            .await?;
        match row.step.as_str() {
            "change_password" => Ok(Step::ChangePassword),
            "enroll_totp" => {
                let sealed = user
                    .totp_pending_secret
                    .as_deref()
                    .ok_or(Error::InvalidChallenge)?;
                let secret = self.open_secret(&user.id, sealed)?;
                Ok(Step::EnrollTotp {
                    otpauth_uri: totp::otpauth_uri(
                        &secret,
                        &self.config.totp_issuer,
                        &user.username,
                    )?,
                    secret_base32: totp::secret_base32(&secret),
                })
            }
            _ => Ok(Step::Totp {
                passkey_options: row.webauthn_options,
            }),
        }
    }

    /// Step 2: a new password (first login, reset, or expired password).
    pub async fn login_change_password(
        &self,
        challenge: &str,
        new_password: &str,
        ip: &str,
    ) -> Result<Issued> {
        let (row, user) = self.challenge_for(challenge, &["change_password"]).await?;
        self.login_locked_down(Some(&user), ip).await?;
        if let Err(weak) = password_policy::check(new_password, &user.username, &user.email) {
            self.refuse(
                AuditAction::PasswordChange,
                Some(&user),
                ip,
                Outcome::Failed,
                "weak_password",
            )
            .await?;
            return Err(Error::WeakPassword(weak));
        }
        if self
            .passwords
            .verify(new_password, Some(&user.password_hash))
            .await?
        {
            self.refuse(
                AuditAction::PasswordChange,
                Some(&user),
                ip,
                Outcome::Failed,
                "same_password",
            )
            .await?;
            return Err(Error::SamePassword);
        }
        if !challenges::consume_challenge(&self.db, &row.id_hash).await? {
            return Err(Error::InvalidChallenge);
        }
        let hash = self.passwords.hash(new_password).await?;
        users::set_password(&self.db, &user.id, &hash, to_millis(self.clock.now())).await?;
        // The person chose a password: a pending invitation link must not choose another.
        crate::db::mail_tokens::revoke(
            &self.db,
            &user.id,
            super::mail_tokens::Purpose::Invitation.as_str(),
        )
        .await?;
        let mut event = Event::new(AuditAction::PasswordChange, None);
        event.actor = Some(user.id.clone());
        event.organisation_id = Some(user.organisation_id.clone());
        event.ip = Some(ip.to_owned());
        self.audit.record(event, Outcome::Success).await?;
        let user = users::get(&self.db, &user.id)
            .await?
            .ok_or(Error::InvalidChallenge)?;
        self.issue(&user).await
    }

    /// Step 3: the second factor; opens the session.
    pub async fn login_second_factor(
        &self,
        challenge: &str,
        factor: &SecondFactor,
        ip: &str,
        kind: SessionKind,
        user_agent: &str,
    ) -> Result<LoggedIn> {
        let (row, user) = self
            .challenge_for(challenge, &["enroll_totp", "totp"])
            .await?;
        self.login_locked_down(Some(&user), ip).await?;
        let keys = throttle::Keys::new(&user.username, ip, &self.config.throttle);
        let now = self.clock.now();
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            self.refuse(
                AuditAction::LoginFailed,
                Some(&user),
                ip,
                Outcome::Denied,
                "throttled",
            )
            .await?;
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        let unix = now.timestamp();
        let mut recovery_codes = None;
        let mut passkey = None;
        let accepted = match (row.step.as_str(), factor) {
            ("enroll_totp", SecondFactor::Code(code)) => {
                let sealed = user
                    .totp_pending_secret
                    .as_deref()
                    .ok_or(Error::InvalidChallenge)?;
                let secret = self.open_secret(&user.id, sealed)?;
                match totp::matching_step(&secret, code, unix)? {
                    Some(step) => {
                        recovery_codes =
                            Some(self.complete_totp_enrolment(&user.id, sealed, step).await?);
                        true
                    }
                    None => false,
                }
            }
            // An account whose passkeys replaced its app takes no app code.
            ("totp", SecondFactor::Code(_)) if user.totp_secret.is_none() => false,
            ("totp", SecondFactor::Passkey(credential)) => {
                passkey = self.passkey_login_accepted(&user, &row, credential).await?;
                passkey.is_some()
            }
            ("totp", factor) => self.second_factor_accepted(&user, factor, unix).await?,
            _ => false,
        };
        if !accepted {
            if challenges::challenge_failed(&self.db, &row.id_hash).await? >= CHALLENGE_MAX_FAILURES
            {
                challenges::consume_challenge(&self.db, &row.id_hash).await?;
            }
            self.refuse(
                AuditAction::LoginFailed,
                Some(&user),
                ip,
                Outcome::Failed,
                match factor {
                    SecondFactor::Passkey(_) => "wrong_passkey",
                    _ => "wrong_code",
                },
            )
            .await?;
            return Err(Error::InvalidCode);
        }
        if !challenges::consume_challenge(&self.db, &row.id_hash).await? {
            return Err(Error::InvalidChallenge);
        }
        throttle::succeeded(&self.db, &keys).await?;
        let session = self.open_session(&user.id, kind, ip, user_agent).await?;
        users::touch_login(&self.db, &user.id, to_millis(now)).await?;
        let mut event = Event::new(AuditAction::Login, None).detail(serde_json::json!({
            "second_factor": match factor {
                SecondFactor::Code(_) => "totp",
                SecondFactor::RecoveryCode(_) => "recovery_code",
                SecondFactor::Passkey(_) => "passkey",
            },
            "passkey": passkey,
            "enrolled": recovery_codes.is_some(),
            "session": match kind { SessionKind::Bearer => "bearer", SessionKind::Cookie => "cookie" },
        }));
        event.actor = Some(user.id.clone());
        event.organisation_id = Some(user.organisation_id.clone());
        event.ip = Some(ip.to_owned());
        self.audit.record(event, Outcome::Success).await?;
        Ok(LoggedIn {
            session,
            recovery_codes,
            user_id: user.id,
        })
    }
}

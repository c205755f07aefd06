//! « Mot de passe oublié »: a reset link by e-mail, then a new password that still needs the
//! second factor (a TOTP code or a recovery code).
//!
//! Asking answers the same whether or not an address matches an account, and does comparable
//! work either way (the message is sent in the background). Asking is throttled per address and
//! per client address like logins; setting the password is throttled on the account like a
//! login. A disabled account, or one that never enrolled an authenticator, gets no link.

use super::audit::{Event, Outcome};
use super::login::SecondFactor;
use super::mail_tokens::Purpose;
use super::{password_policy, random_token, throttle, token_hash, Core, Error, Result};
use crate::clock::to_millis;
use crate::db::users;
use crate::domain::AuditAction;

/// The path of the page a reset link opens (the token follows in `?jeton=`).
pub const RESET_PATH: &str = "/mot-de-passe-oublie/nouveau";

impl Core {
    /// Sends a reset link to every enabled, enrolled account with this e-mail address. Answers
    /// `Ok(())` whether or not one matched; `TooManyAttempts` when the address or the client
    /// asked too often.
    pub async fn request_password_reset(&self, email: &str, ip: &str) -> Result<()> {
        let email = email.trim().to_lowercase();
        let keys = throttle::Keys::new(&format!("reset:{email}"), ip, &self.config.throttle);
        let now = self.clock.now();
        // Every request counts, right or wrong: a run of requests slows down like failed logins.
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            let mut event = Event::new(AuditAction::PasswordResetRequest, None)
                .detail(serde_json::json!({"reason": "throttled"}));
            event.ip = Some(ip.to_owned());
            self.audit.record(event, Outcome::Denied).await?;
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        let accounts = if super::accounts::check_email(&email).is_ok() {
            users::by_email(&self.db, &email).await?
        } else {
            Vec::new()
        };
        let mut sent = 0usize;
        for user in &accounts {
            // Only an account with a second factor (an app, or passkeys in its place): the
            // link's page asks for it (a passkey-only person gives a recovery code).
            let second_factor =
                user.totp_secret.is_some() || crate::db::passkeys::any(&self.db, &user.id).await?;
            if user.disabled || !second_factor {
                continue;
            }
            let token = self
                .issue_mail_token(
                    &user.id,
                    Purpose::PasswordReset,
                    self.config.mail.reset_link_secs,
                )
                .await?;
            let link = self.public_link(&format!("{RESET_PATH}?jeton={token}"));
            let minutes = self.config.mail.reset_link_secs / 60;
            let subject =
                "[Passerelle] Réinitialisation de votre mot de passe / Resetting your password"
                    .to_owned();
            let body = format!(
                "Bonjour {name},\n\nUne demande de nouveau mot de passe a été faite pour votre compte « {login} ».\n\
                 Pour choisir un nouveau mot de passe, ouvrez ce lien (valable {minutes} minutes, une seule fois) :\n\n{link}\n\n\
                 Il vous sera demandé aussi le code de votre application d'authentification (ou un code de secours).\n\
                 Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n\n\
                 ---\n\nHello {name},\n\nA new password was asked for your account \"{login}\".\n\
                 To choose a new password, open this link (valid {minutes} minutes, once):\n\n{link}\n\n\
                 You will also be asked for the code of your authenticator app (or a recovery code).\n\
                 If you asked for nothing, ignore this message: your password does not change.\n\n-- Passerelle\n",
                name = user.display_name,
                login = user.username,
            );
            let mailer = self.mailer.clone();
            let (to_name, to_address) = (user.display_name.clone(), user.email.clone());
            // In the background: the answer does not wait for the relay, so it takes as long
            // whether or not a message leaves.
            tokio::spawn(async move {
                if let Err(e) = mailer.send(&to_name, &to_address, &subject, body).await {
                    tracing::warn!(error = %e, "a password reset link could not be sent");
                }
            });
            let mut event = Event::new(AuditAction::PasswordResetRequest, None)
                .target(user.id.clone())
                .detail(serde_json::json!({"sent": true}));
            event.actor = Some(user.id.clone());
            event.organisation_id = Some(user.organisation_id.clone());
            event.ip = Some(ip.to_owned());
            self.audit.record(event, Outcome::Success).await?;
            sent += 1;
        }
        if sent == 0 {
            // The same work as issuing a token, for an address that gets nothing.
            let _ = token_hash(&random_token());
            let mut event = Event::new(AuditAction::PasswordResetRequest, None)
                .detail(serde_json::json!({"sent": false}));
            event.ip = Some(ip.to_owned());
            self.audit.record(event, Outcome::Success).await?;
        }
        Ok(())
    }

    /// Whether a reset link is still usable (its page shows the form, or says it has expired).
    pub async fn reset_link_valid(&self, token: &str) -> Result<bool> {
        let Some(live) = self.live_mail_token(token, Purpose::PasswordReset).await? else {
            return Ok(false);
        };
        Ok(users::get(&self.db, &live.user_id)
            .await?
            .is_some_and(|u| !u.disabled))
    }

    /// Sets a new password through a reset link: the link must be live, the second factor right
    /// and the password within the policy; then the link dies and every session of the account
    /// ends. `InvalidChallenge` when the link is unknown, used or expired.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        factor: &SecondFactor,
        ip: &str,
    ) -> Result<()> {
        let live = self
            .live_mail_token(token, Purpose::PasswordReset)
            .await?
            .ok_or(Error::InvalidChallenge)?;
        let user = users::get(&self.db, &live.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(Error::InvalidChallenge)?;
        let record = |outcome: Outcome, detail: serde_json::Value| {
            let mut event = Event::new(AuditAction::PasswordReset, None)
                .target(user.id.clone())
                .detail(detail);
            event.actor = Some(user.id.clone());
            event.organisation_id = Some(user.organisation_id.clone());
            event.ip = Some(ip.to_owned());
            self.audit.record(event, outcome)
        };
        // The policy first: a weak password must not use up a recovery code.
        if let Err(weak) = password_policy::check(new_password, &user.username, &user.email) {
            record(
                Outcome::Failed,
                serde_json::json!({"reason": "weak_password"}),
            )
            .await?;
            return Err(Error::WeakPassword(weak));
        }
        match self.check_second_factor(&user, factor, ip).await {
            Ok(true) => {}
            Ok(false) => {
                record(Outcome::Failed, serde_json::json!({"reason": "wrong_code"})).await?;
                return Err(Error::InvalidCode);
            }
            Err(e @ Error::TooManyAttempts { .. }) => {
                record(Outcome::Denied, serde_json::json!({"reason": "throttled"})).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        if !self.consume_mail_token(&live).await? {
            return Err(Error::InvalidChallenge);
        }
        let hash = self.passwords.hash(new_password).await?;
        let ended =
            users::change_password(&self.db, &user.id, &hash, to_millis(self.clock.now()), None)
                .await?;
        record(
            Outcome::Success,
            serde_json::json!({
                "second_factor": match factor { SecondFactor::Code(_) => "totp", SecondFactor::RecoveryCode(_) => "recovery_code", SecondFactor::Passkey(_) => "passkey" },
                "sessions_ended": ended,
            }),
        )
        .await?;
        Ok(())
    }
}

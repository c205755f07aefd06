//! Invitations: instead of dictating a one-time password, an administrator has Passerelle e-mail
//! the new person a single-use link (256 bits, stored hashed, valid `mail.invitation_link_secs`,
//! 72 hours by default). Its page sets the password (the usual policy) and records the charter's
//! acceptance; the link dies at that first step, and the person goes on exactly as after a first
//! login's password change: the authenticator enrolment the login flow asks for. Only an account
//! that never enrolled an authenticator can be invited (an enrolled one uses « mot de passe
//! oublié »); a newer invitation replaces an older one; an administrator may withdraw one.

use super::audit::{Event, Outcome};
use super::login::Issued;
use super::mail_tokens::Purpose;
use super::{password_policy, throttle, Actor, Core, Error, Result, Text};
use crate::clock::{from_millis, to_millis};
use crate::db::mail_tokens as tokens;
use crate::db::users;
use crate::domain::{AuditAction, User};
use chrono::{DateTime, Utc};

/// The path of the page an invitation link opens (the token follows in `?jeton=`).
pub const INVITATION_PATH: &str = "/invitation";

/// A pending invitation, as administrators see it.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The invited account.
    pub user: User,
    /// When the link was sent.
    pub sent_at: DateTime<Utc>,
    /// When it dies if unused.
    pub expires_at: DateTime<Utc>,
}

/// Whom an invitation link names, for its page.
#[derive(Debug, Clone)]
pub struct Invitee {
    /// The name shown to others.
    pub display_name: String,
    /// The login name.
    pub username: String,
}

impl Core {
    /// Whether an invitation may still reach `user`: enabled, and without a second factor (no
    /// authenticator app, no passkey: an account that has one uses « mot de passe oublié »).
    async fn invitable(&self, user: &User) -> Result<bool> {
        Ok(!user.disabled
            && user.totp_secret.is_none()
            && !crate::db::passkeys::any(&self.db, &user.id).await?)
    }

    /// E-mails `user_id` an invitation (a newer link kills an older one): platform admins only.
    /// `NotFound` for an unknown account; `Conflict` for a disabled or already enrolled one.
    pub async fn send_invitation(&self, actor: &Actor, user_id: &str) -> Result<Invitation> {
        Self::require_admin(actor)?;
        let user = users::get(&self.db, user_id)
            .await?
            .ok_or(Error::NotFound)?;
        if !self.invitable(&user).await? {
            return Err(Error::Conflict(Text::new(
                "Ce compte est désactivé ou déjà utilisé : une invitation n'y servirait pas (réinitialisez-le s'il le faut).",
                "This account is disabled or already in use: an invitation would not help (reset it if need be).",
            )));
        }
        let now = to_millis(self.clock.now());
        let resent = tokens::live_for_user(&self.db, &user.id, Purpose::Invitation.as_str(), now)
            .await?
            .is_some();
        let lifetime = self.config.mail.invitation_link_secs;
        let token = self
            .issue_mail_token(&user.id, Purpose::Invitation, lifetime)
            .await?;
        let row = tokens::live_for_user(&self.db, &user.id, Purpose::Invitation.as_str(), now)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the invitation of {} vanished", user.id))?;
        let expires_at = from_millis(row.expires_at);
        self.mail_invitation(&user, &token, lifetime, expires_at);
        self.audit
            .record(
                Event::new(AuditAction::InvitationSend, Some(actor))
                    .target(user.id.clone())
                    .detail(serde_json::json!({ "resent": resent, "expires_at": crate::clock::rfc3339(expires_at) })),
                Outcome::Success,
            )
            .await?;
        Ok(Invitation {
            user,
            sent_at: from_millis(row.created_at),
            expires_at,
        })
    }

    /// Sends the message in the background: the relay's delays are not the admin's.
    fn mail_invitation(&self, user: &User, token: &str, lifetime: u64, expires_at: DateTime<Utc>) {
        let link = self.public_link(&format!("{INVITATION_PATH}?jeton={token}"));
        let hours = lifetime / 3600;
        let subject =
            "[Passerelle] Invitation : créez votre accès / Invitation: set up your access"
                .to_owned();
        let body = format!(
            "Bonjour {name},\n\nUn compte Passerelle a été ouvert à votre nom (identifiant « {login} »).\n\
             Pour l'activer, ouvrez ce lien (valable {hours} heures, jusqu'au {until_fr}, une seule fois) :\n\n{link}\n\n\
             Vous y choisirez votre mot de passe, lirez et accepterez la charte d'utilisation, puis\n\
             enregistrerez une application d'authentification (sur votre téléphone, par exemple).\n\
             Si vous n'attendiez pas ce message, ignorez-le et prévenez l'administrateur de la plateforme.\n\n\
             ---\n\nHello {name},\n\nA Passerelle account has been opened in your name (username \"{login}\").\n\
             To activate it, open this link (valid {hours} hours, until {until_en}, once):\n\n{link}\n\n\
             There you will choose your password, read and accept the terms of use, then register\n\
             an authenticator app (on your phone, for instance).\n\
             If you did not expect this message, ignore it and tell the platform's administrator.\n\n-- Passerelle\n",
            name = user.display_name,
            login = user.username,
            until_fr = crate::clock::paris_fr(expires_at),
            until_en = crate::clock::paris_en(expires_at),
        );
        let mailer = self.mailer.clone();
        let (to_name, to_address) = (user.display_name.clone(), user.email.clone());
        tokio::spawn(async move {
            if let Err(e) = mailer.send(&to_name, &to_address, &subject, body).await {
                tracing::warn!(error = %e, "an invitation could not be sent");
            }
        });
    }

    /// The pending invitations (live links of accounts that may still use them), oldest first.
    pub async fn list_invitations(&self, actor: &Actor) -> Result<Vec<Invitation>> {
        Self::require_admin(actor)?;
        let now = to_millis(self.clock.now());
        let rows = tokens::live_of_purpose(&self.db, Purpose::Invitation.as_str(), now).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(user) = users::get(&self.db, &row.user_id).await? {
                if self.invitable(&user).await? {
                    out.push(Invitation {
                        user,
                        sent_at: from_millis(row.created_at),
                        expires_at: from_millis(row.expires_at),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Withdraws the pending invitation of `user_id`; `NotFound` when there is none.
    pub async fn revoke_invitation(&self, actor: &Actor, user_id: &str) -> Result<()> {
        Self::require_admin(actor)?;
        if tokens::revoke(&self.db, user_id, Purpose::Invitation.as_str()).await? == 0 {
            return Err(Error::NotFound);
        }
        self.audit
            .record(
                Event::new(AuditAction::InvitationRevoke, Some(actor)).target(user_id),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }

    /// Whom a live invitation link names; `None` when it is unknown, used, expired or its
    /// account can no longer use it.
    pub async fn invitee(&self, token: &str) -> Result<Option<Invitee>> {
        Ok(self.invited_user(token).await?.map(|(_, u)| Invitee {
            display_name: u.display_name,
            username: u.username,
        }))
    }

    async fn invited_user(
        &self,
        token: &str,
    ) -> Result<Option<(super::mail_tokens::LiveToken, User)>> {
        let Some(live) = self.live_mail_token(token, Purpose::Invitation).await? else {
            return Ok(None);
        };
        let user = users::get(&self.db, &live.user_id).await?;
        match user {
            Some(u) if self.invitable(&u).await? => Ok(Some((live, u))),
            _ => Ok(None),
        }
    }

    /// The invitation's first step: the password (within the policy) and the charter's version
    /// read (the one in force). The link dies here, every pending login and session of the
    /// account ends, and the answer is the login's next step (the authenticator enrolment).
    /// `InvalidChallenge` for a dead link; `Conflict` when the charter changed meanwhile;
    /// `TooManyAttempts` when this client sent too many dead links.
    pub async fn accept_invitation(
        &self,
        token: &str,
        new_password: &str,
        charter_version: &str,
        ip: &str,
    ) -> Result<Issued> {
        let found = self.invited_user(token).await?;
        // Dead links count against the client like wrong passwords; a live one gives it back.
        let key = match &found {
            Some((_, u)) => format!("invitation:{}", u.id),
            None => "invitation:-".to_owned(),
        };
        let keys = throttle::Keys::new(&key, ip, &self.config.throttle);
        let now = self.clock.now();
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            let mut event = Event::new(AuditAction::InvitationAccept, None)
                .detail(serde_json::json!({"reason": "throttled"}));
            event.ip = Some(ip.to_owned());
            self.audit.record(event, Outcome::Denied).await?;
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        let Some((live, user)) = found else {
            let mut event = Event::new(AuditAction::InvitationAccept, None)
                .detail(serde_json::json!({"reason": "dead_link"}));
            event.ip = Some(ip.to_owned());
            self.audit.record(event, Outcome::Failed).await?;
            return Err(Error::InvalidChallenge);
        };
        throttle::refund(&self.db, &keys, now).await?;
        let actor = Actor {
            user_id: user.id.clone(),
            username: user.username.clone(),
            organisation_id: user.organisation_id.clone(),
            platform_admin: user.platform_admin,
            ip: ip.to_owned(),
        };
        let record = |outcome: Outcome, detail: serde_json::Value| {
            self.audit.record(
                Event::new(AuditAction::InvitationAccept, Some(&actor))
                    .target(user.id.clone())
                    .detail(detail),
                outcome,
            )
        };
        if let Err(weak) = password_policy::check(new_password, &user.username, &user.email) {
            record(
                Outcome::Failed,
                serde_json::json!({"reason": "weak_password"}),
            )
            .await?;
            return Err(Error::WeakPassword(weak));
        }
        if charter_version != self.charter_version() {
            return Err(Error::Conflict(Text::new(
                "La charte a changé pendant votre lecture : lisez la nouvelle version.",
                "The terms of use changed while you read them: read the new version.",
            )));
        }
        if !self.consume_mail_token(&live).await? {
            return Err(Error::InvalidChallenge);
        }
        let hash = self.passwords.hash(new_password).await?;
        users::change_password(&self.db, &user.id, &hash, to_millis(now), None).await?;
        self.accept_charter(&actor, charter_version).await?;
        record(Outcome::Success, serde_json::json!({})).await?;
        let user = users::get(&self.db, &user.id)
            .await?
            .ok_or(Error::InvalidChallenge)?;
        self.issue(&user).await
    }
}

//! Passkeys (WebAuthn, with webauthn-rs) as a second factor beside TOTP: a person registers
//! several from their account page (after their current password), names them, removes them;
//! at login, after the password, one of them may answer the `totp` step instead of a code.
//!
//! The relying party is the host of `mail.public_url` (its origin checked exactly); without it,
//! `localhost` on any port, for trials on one machine. The ceremonies' server-side state lives in
//! the database (several instances share it): a login's in its challenge row, a registration's
//! in its own row, bound to its account, single-use and expiring after five minutes.

use super::audit::Outcome;
use super::login::SecondFactor;
use super::{random_token, throttle, token_hash, Actor, Core, Error, Result, Text};
use crate::clock::{from_millis, to_millis};
use crate::db::auth::ChallengeRow;
use crate::db::passkeys::{self as store, PasskeyRow, RegistrationRow};
use crate::domain::{AuditAction, User};
use chrono::{DateTime, Utc};
use sha2::Digest as _;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// A registration or login ceremony lives this long (ms).
const CEREMONY_MS: i64 = 5 * 60 * 1000;
/// Longest passkey name, in characters.
pub const NAME_MAX_CHARS: usize = 60;

/// One of the person's passkeys.
#[derive(Debug, Clone)]
pub struct PasskeyInfo {
    /// Its id (for removal).
    pub id: String,
    /// The name its owner gave it.
    pub name: String,
    /// Registration instant.
    pub created_at: DateTime<Utc>,
    /// Last sign-in with it.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&PasskeyRow> for PasskeyInfo {
    fn from(r: &PasskeyRow) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            created_at: from_millis(r.created_at),
            last_used_at: r.last_used_at.map(from_millis),
        }
    }
}

/// A registration started: the browser answers `options` (`navigator.credentials.create`),
/// then the answer is sent back with `ceremony`.
#[derive(Debug, Clone)]
pub struct PasskeyCeremony {
    /// Single-use id of the registration.
    pub ceremony: String,
    /// The `{"publicKey": ...}` creation options, JSON.
    pub options: String,
}

fn unexpected(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Unexpected(anyhow::anyhow!("{what}: {e}"))
}

/// The WebAuthn user handle of an account: a digest of its id (never its name).
fn user_handle(user_id: &str) -> Uuid {
    let digest = sha2::Sha256::digest(format!("passerelle passkey user v1|{user_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn not_verified() -> Error {
    Error::InvalidRequest(Text::new(
        "La clé d'accès n'a pas pu être vérifiée : recommencez depuis la page de votre compte.",
        "The passkey could not be verified: start again from your account page.",
    ))
}

impl Core {
    /// The relying party, from the configuration.
    fn webauthn(&self) -> Result<Webauthn> {
        let (origin, any_port) = match &self.config.mail.public_url {
            Some(url) => (url.as_str(), false),
            None => ("https://localhost", true),
        };
        let origin = Url::parse(origin).map_err(|e| unexpected("passkey origin", e))?;
        let rp_id = origin
            .host_str()
            .ok_or_else(|| unexpected("passkey origin", "no host"))?
            .to_owned();
        WebauthnBuilder::new(&rp_id, &origin)
            .and_then(|b| b.rp_name("Passerelle").allow_any_port(any_port).build())
            .map_err(|e| unexpected("passkey relying party", e))
    }

    /// For the `totp` step of `user`: the options and the state of a passkey authentication
    /// (`None` without passkeys).
    pub(crate) async fn passkey_login_start(
        &self,
        user: &User,
    ) -> Result<Option<(String, String)>> {
        let rows = store::of_user(&self.db, &user.id).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut keys = Vec::with_capacity(rows.len());
        for r in &rows {
            keys.push(
                serde_json::from_str::<Passkey>(&r.passkey)
                    .map_err(|e| unexpected("stored passkey", e))?,
            );
        }
        let (options, state) = self
            .webauthn()?
            .start_passkey_authentication(&keys)
            .map_err(|e| unexpected("passkey authentication", e))?;
        Ok(Some((
            serde_json::to_string(&options).map_err(|e| unexpected("passkey options", e))?,
            serde_json::to_string(&state).map_err(|e| unexpected("passkey state", e))?,
        )))
    }

    /// Whether `credential` (the browser's answer to the challenge's options) is a valid
    /// assertion of one of `user`'s passkeys; on success the passkey's counter and last use are
    /// stored, and its id answered. No throttling here: the caller reserves and refunds.
    pub(crate) async fn passkey_login_accepted(
        &self,
        user: &User,
        row: &ChallengeRow,
        credential: &serde_json::Value,
    ) -> Result<Option<String>> {
        let Some(state) = row.webauthn_state.as_deref() else {
            return Ok(None);
        };
        let state: PasskeyAuthentication =
            serde_json::from_str(state).map_err(|e| unexpected("passkey state", e))?;
        let Ok(credential) = serde_json::from_value::<PublicKeyCredential>(credential.clone())
        else {
            return Ok(None);
        };
        let result = match self
            .webauthn()?
            .finish_passkey_authentication(&credential, &state)
        {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(user = %user.id, "passkey assertion refused: {e}");
                return Ok(None);
            }
        };
        for r in store::of_user(&self.db, &user.id).await? {
            let mut key: Passkey =
                serde_json::from_str(&r.passkey).map_err(|e| unexpected("stored passkey", e))?;
            if key.cred_id() == result.cred_id() {
                key.update_credential(&result);
                let stored = serde_json::to_string(&key).map_err(|e| unexpected("passkey", e))?;
                store::used(
                    &self.db,
                    &user.id,
                    &r.id,
                    &stored,
                    to_millis(self.clock.now()),
                )
                .await?;
                return Ok(Some(r.id));
            }
        }
        Ok(None)
    }

    /// The caller's passkeys, oldest first.
    pub async fn my_passkeys(&self, actor: &Actor) -> Result<Vec<PasskeyInfo>> {
        let rows = store::of_user(&self.db, &actor.user_id).await?;
        Ok(rows.iter().map(PasskeyInfo::from).collect())
    }

    /// Starts registering a passkey named `name`, after the caller's current password
    /// (throttled like a login).
    pub async fn start_passkey_registration(
        &self,
        actor: &Actor,
        password: &str,
        name: &str,
    ) -> Result<PasskeyCeremony> {
        let user = self.own_user(actor).await?;
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(Error::InvalidRequest(Text::new(
                "Donnez à la clé un nom de 1 à 60 caractères.",
                "Give the passkey a name of 1 to 60 characters.",
            )));
        }
        let keys = throttle::Keys::new(&user.username, &actor.ip, &self.config.throttle);
        let now = self.clock.now();
        if let Err(retry_after_secs) = throttle::reserve(&self.db, &keys, now).await? {
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        if !self
            .passwords
            .verify(password, Some(&user.password_hash))
            .await?
        {
            self.record_own(
                AuditAction::PasskeyAdd,
                actor,
                Outcome::Failed,
                serde_json::json!({"step": "start", "reason": "wrong_password"}),
            )
            .await?;
            return Err(Error::InvalidCredentials);
        }
        throttle::refund(&self.db, &keys, now).await?;
        let mut exclude = Vec::new();
        for r in store::of_user(&self.db, &user.id).await? {
            let key: Passkey =
                serde_json::from_str(&r.passkey).map_err(|e| unexpected("stored passkey", e))?;
            exclude.push(key.cred_id().clone());
        }
        let (options, state) = self
            .webauthn()?
            .start_passkey_registration(
                user_handle(&user.id),
                &user.username,
                &user.display_name,
                Some(exclude),
            )
            .map_err(|e| unexpected("passkey registration", e))?;
        let ceremony = random_token();
        store::insert_registration(
            &self.db,
            &RegistrationRow {
                id_hash: token_hash(&ceremony),
                user_id: user.id.clone(),
                name: name.to_owned(),
                state: serde_json::to_string::<PasskeyRegistration>(&state)
                    .map_err(|e| unexpected("passkey state", e))?,
                expires_at: to_millis(now) + CEREMONY_MS,
            },
        )
        .await?;
        Ok(PasskeyCeremony {
            ceremony,
            options: serde_json::to_string(&options)
                .map_err(|e| unexpected("passkey options", e))?,
        })
    }

    /// Completes a registration with the browser's answer: the passkey is stored.
    pub async fn finish_passkey_registration(
        &self,
        actor: &Actor,
        ceremony: &str,
        credential: &serde_json::Value,
    ) -> Result<PasskeyInfo> {
        let user = self.own_user(actor).await?;
        let now = to_millis(self.clock.now());
        let Some(reg) = store::take_registration(&self.db, &user.id, &token_hash(ceremony))
            .await?
            .filter(|r| r.expires_at > now)
        else {
            return Err(Error::Conflict(Text::new(
                "Aucune clé d'accès n'est en cours d'enregistrement, ou l'enregistrement a expiré : recommencez depuis la page de votre compte.",
                "No passkey is being registered, or the registration expired: start again from your account page.",
            )));
        };
        let state: PasskeyRegistration =
            serde_json::from_str(&reg.state).map_err(|e| unexpected("passkey state", e))?;
        let verified = serde_json::from_value::<RegisterPublicKeyCredential>(credential.clone())
            .map_err(|e| e.to_string())
            .and_then(|c| {
                self.webauthn()
                    .map_err(|e| e.to_string())?
                    .finish_passkey_registration(&c, &state)
                    .map_err(|e| e.to_string())
            });
        let key = match verified {
            Ok(key) => key,
            Err(why) => {
                tracing::info!(user = %user.id, "passkey registration refused: {why}");
                self.record_own(
                    AuditAction::PasskeyAdd,
                    actor,
                    Outcome::Failed,
                    serde_json::json!({"step": "finish", "reason": "not_verified"}),
                )
                .await?;
                return Err(not_verified());
            }
        };
        let credential_id = {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.cred_id().as_ref())
        };
        let row = PasskeyRow {
            id: Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            credential_id,
            passkey: serde_json::to_string(&key).map_err(|e| unexpected("passkey", e))?,
            name: reg.name,
            created_at: now,
            last_used_at: None,
        };
        if !store::insert(&self.db, &row).await? {
            return Err(not_verified());
        }
        self.record_own(
            AuditAction::PasskeyAdd,
            actor,
            Outcome::Success,
            serde_json::json!({"passkey": row.id, "name": row.name}),
        )
        .await?;
        Ok(PasskeyInfo::from(&row))
    }

    /// Removes one of the caller's passkeys (404 for anyone else's). TOTP stays the fallback:
    /// removing a passkey never weakens a login nor locks anyone out.
    pub async fn remove_passkey(&self, actor: &Actor, id: &str) -> Result<()> {
        let user = self.own_user(actor).await?;
        let mine = store::of_user(&self.db, &user.id).await?;
        if !mine.iter().any(|k| k.id == id) {
            return Err(Error::NotFound);
        }
        // Checked again under the account's lock: two removals at once must not leave none.
        match store::delete_own(&self.db, &user.id, id).await? {
            store::Removal::Removed => {}
            store::Removal::NotFound => return Err(Error::NotFound),
            store::Removal::LastFactor => {
                return Err(Error::Conflict(Text::new(
                    "C'est votre dernière clé d'accès et vous n'avez plus d'application d'authentification : enregistrez d'abord une application.",
                    "This is your last passkey and you have no authenticator app any more: register an app first.",
                )))
            }
        }
        self.record_own(
            AuditAction::PasskeyRemove,
            actor,
            Outcome::Success,
            serde_json::json!({"passkey": id}),
        )
        .await?;
        Ok(())
    }

    /// Whether the caller may remove their authenticator app now: the operator lets passkeys
    /// replace it, and the caller has an app and at least one passkey.
    pub async fn totp_removable(&self, actor: &Actor) -> Result<bool> {
        let user = self.own_user(actor).await?;
        Ok(self.config.auth.passkeys_replace_totp
            && user.totp_secret.is_some()
            && store::any(&self.db, &user.id).await?)
    }

    /// Removes the caller's authenticator app after a current code or a recovery code, where
    /// `auth.passkeys_replace_totp` allows it and the caller has a passkey: their login then
    /// takes a passkey (or a recovery code).
    pub async fn remove_own_totp(&self, actor: &Actor, factor: &SecondFactor) -> Result<()> {
        let user = self.own_user(actor).await?;
        if !self.config.auth.passkeys_replace_totp {
            return Err(Error::ForbiddenRule(Text::new(
                "Sur ce service, l'application d'authentification est obligatoire.",
                "On this service, the authenticator app is mandatory.",
            )));
        }
        if user.totp_secret.is_none() || !store::any(&self.db, &user.id).await? {
            return Err(Error::Conflict(Text::new(
                "Enregistrez d'abord une clé d'accès : elle remplacera l'application.",
                "Register a passkey first: it will replace the app.",
            )));
        }
        if !self.check_second_factor(&user, factor, &actor.ip).await? {
            self.record_own(
                AuditAction::TotpRemove,
                actor,
                Outcome::Failed,
                serde_json::json!({"reason": "wrong_code"}),
            )
            .await?;
            return Err(Error::InvalidCode);
        }
        if !store::clear_totp_keeping_a_passkey(&self.db, &user.id).await? {
            return Err(Error::Conflict(Text::new(
                "Enregistrez d'abord une clé d'accès : elle remplacera l'application.",
                "Register a passkey first: it will replace the app.",
            )));
        }
        self.record_own(
            AuditAction::TotpRemove,
            actor,
            Outcome::Success,
            serde_json::json!({}),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_handles_are_stable_and_distinct() {
        assert_eq!(user_handle("a"), user_handle("a"));
        assert_ne!(user_handle("a"), user_handle("b"));
    }
}

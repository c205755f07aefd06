//! The rules: accounts, login, sessions, audit. No HTTP types here; handlers call these services.

pub mod account;
pub mod account_edits;
pub mod accounts;
pub mod antivirus;
pub mod audit;
pub mod certificate;
pub mod charter;
pub mod content;
pub mod destruction_race;
pub mod files;
pub mod grants;
pub mod inactivity;
pub mod incident;
pub mod incident_facts;
pub mod invitations;
pub mod journal;
pub mod lockdown;
pub mod login;
pub mod mail_tokens;
pub mod mailer;
pub mod mission_life;
pub mod missions;
pub mod notify;
pub mod passkeys;
pub mod password_policy;
pub mod password_reset;
pub mod passwords;
pub mod permissions;
pub mod platform_register;
pub mod receipts;
pub mod register;
pub mod retention;
pub mod review;
pub mod scheduled_backup;
pub mod sessions;
pub mod throttle;
pub mod totp;
pub mod upload;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::{Db, DbError};
use std::sync::Arc;

/// Everything the services share.
#[derive(Clone)]
pub struct Core {
    /// The database.
    pub db: Db,
    /// The time source.
    pub clock: SharedClock,
    /// The configuration in force.
    pub config: Arc<Config>,
    /// The audit trail.
    pub audit: audit::Audit,
    /// Seals TOTP secrets before they reach the database.
    pub secrets: Arc<storage::SecretBox>,
    /// Password hashing.
    pub passwords: passwords::Hasher,
    /// The encrypted blob store.
    pub blobs: storage::BlobStore,
    /// Signs destruction certificates.
    pub signer: certificate::Signer,
    /// Sends end-of-mission warnings and notifications.
    pub mailer: mailer::Mailer,
    /// Runs the content checks in isolated worker processes.
    pub checker: Arc<crate::worker::Checker>,
    /// Serialises destructions within this process (PostgreSQL adds an advisory lock across instances).
    pub destruction_lock: Arc<tokio::sync::Mutex<()>>,
    /// Uploads create and complete their rows under its read side; the status change that
    /// starts a destruction takes its write side (PostgreSQL adds the mission row's lock).
    pub upload_fence: Arc<tokio::sync::RwLock<()>>,
    /// The notifications being sent in the background.
    pub notifications: notify::InFlight,
    /// The lockdown as last seen by this process: uploads and downloads in flight watch it and stop
    /// when it turns on (kept fresh by every read of the row and a once-a-second watch).
    pub lockdown_flag: lockdown::LockdownFlag,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// Who is acting, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// Platform administrator or not.
    pub platform_admin: bool,
    /// Source address.
    pub ip: String,
}

/// A language for messages meant for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A message from its two wordings.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// The wording in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// Why a service refused or failed; each maps to one stable code of the HTTP contract.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Wrong password, unknown user or disabled account (indistinguishable on purpose).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The login challenge is unknown, used or expired.
    #[error("invalid challenge")]
    InvalidChallenge,
    /// Too many failures: wait this many seconds.
    #[error("too many attempts, retry after {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds before the next attempt is examined.
        retry_after_secs: u64,
    },
    /// The new password breaks the policy.
    #[error("weak password: {0:?}")]
    WeakPassword(password_policy::WeakPassword),
    /// The new password is the current one.
    #[error("the new password is the current one")]
    SamePassword,
    /// Wrong, expired or already used TOTP or recovery code.
    #[error("invalid code")]
    InvalidCode,
    /// No valid session.
    #[error("unauthenticated")]
    Unauthenticated,
    /// A visible thing, a forbidden action.
    #[error("forbidden")]
    Forbidden,
    /// A visible thing, an action a named rule forbids (the message names it).
    #[error("forbidden: {}", .0.en)]
    ForbiddenRule(Text),
    /// Absent, or invisible to the caller.
    #[error("not found")]
    NotFound,
    /// A date or value beyond a configured bound (400 `invalid_request`), with the bound named.
    #[error("out of bounds: {}", .0.en)]
    OutOfBounds(Text),
    /// A request the rules reject, with the reason.
    #[error("invalid request: {}", .0.en)]
    InvalidRequest(Text),
    /// The mission is suspended: no file operation.
    #[error("mission suspended")]
    MissionSuspended,
    /// Outside the mission's access window.
    #[error("outside access hours")]
    OutsideAccessHours,
    /// The upload exceeds the limit (bytes).
    #[error("too large (limit {0} bytes)")]
    TooLarge(u64),
    /// The disclosure check found cells that may not be published (the violations, as the contract shapes them).
    #[error("disclosure check failed ({} violations)", .0.len())]
    DisclosureCheckFailed(Vec<crate::domain::Violation>),
    /// The byte range asked for lies outside the file (its size).
    #[error("range not satisfiable (size {0})")]
    RangeNotSatisfiable(u64),
    /// A conflict with the current state, with the reason.
    #[error("conflict: {}", .0.en)]
    Conflict(Text),
    /// The service is locked down (issue 17): logins but platform administrators', uploads
    /// and downloads are refused until the lockdown ends.
    #[error("the service is locked down")]
    LockedDown,
    /// Anything else; the detail goes to the log, never to the client.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        Error::Unexpected(anyhow::Error::new(e))
    }
}

/// Result of a service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A fresh opaque id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A 256-bit random token, URL-safe base64 without padding.
pub fn random_token() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret token, hex: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

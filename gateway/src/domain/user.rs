//! Accounts and organisations.

use super::OrganisationKind;

/// A user account, as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Opaque id.
    pub id: String,
    /// Login name, lowercase, unique.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Professional e-mail address.
    pub email: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// A platform administrator.
    pub platform_admin: bool,
    /// Disabled: signs in no more.
    pub disabled: bool,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The initial (or reset) password must be replaced.
    pub must_change_password: bool,
    /// When the password was last set (ms).
    pub password_changed_at: i64,
    /// Sealed TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    /// Sealed TOTP secret offered during enrollment.
    pub totp_pending_secret: Option<String>,
    /// Last TOTP time step accepted (each step is accepted once).
    pub totp_last_step: Option<i64>,
    /// Last completed login (ms).
    pub last_login_at: Option<i64>,
}

/// An organisation, as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Opaque id.
    pub id: String,
    /// Display name, unique.
    pub name: String,
    /// What it is.
    pub kind: OrganisationKind,
}

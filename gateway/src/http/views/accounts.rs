//! Views of the login flow, accounts and organisations.

use super::maybe_time;
use crate::clock::rfc3339;
use crate::domain::Organisation as OrgRow;
use crate::domain::OrganisationKind;
use crate::domain::User as UserRow;
use crate::service::accounts::CreatedUser as NewAccount;
use crate::service::invitations::Invitation as InvitationRow;
use crate::service::login::{Issued, LoggedIn, Step};
use serde::Serialize;
use utoipa::ToSchema;

/// A login step and the challenge that answers it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LoginStep {
    /// `change_password`, `enroll_totp` or `totp`.
    #[schema(examples("totp"))]
    pub step: &'static str,
    /// The single-use challenge to send with the next step.
    pub challenge: String,
    /// With `enroll_totp`: the `otpauth://` URI to scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otpauth_uri: Option<String>,
    /// With `enroll_totp`: the secret in base32, to type in by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    /// With `totp`, when the account has passkeys: the WebAuthn request options
    /// (`{"publicKey": {...}}`, binary fields in base64url) for `navigator.credentials.get`; the
    /// answer goes to `POST /auth/webauthn` with the challenge.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub webauthn: Option<serde_json::Value>,
}

impl From<&Issued> for LoginStep {
    fn from(issued: &Issued) -> Self {
        let (otpauth_uri, totp_secret) = match &issued.step {
            Step::EnrollTotp {
                otpauth_uri,
                secret_base32,
            } => (Some(otpauth_uri.clone()), Some(secret_base32.clone())),
            Step::ChangePassword | Step::Totp { .. } => (None, None),
        };
        let webauthn = match &issued.step {
            Step::Totp {
                passkey_options: Some(options),
            } => serde_json::from_str(options).ok(),
            _ => None,
        };
        Self {
            step: issued.step.name(),
            challenge: issued.challenge.clone(),
            otpauth_uri,
            totp_secret,
            webauthn,
        }
    }
}

/// The bearer token that ends the login.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Token {
    /// `Authorization: Bearer <token>`.
    pub token: String,
    /// When the session ends at the latest.
    pub expires_at: String,
    /// Right after enrollment only: 10 single-use recovery codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

impl From<&LoggedIn> for Token {
    fn from(done: &LoggedIn) -> Self {
        Self {
            token: done.session.token.clone(),
            expires_at: rfc3339(done.session.expires_at),
            recovery_codes: done.recovery_codes.clone(),
        }
    }
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Organisation {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `bailleur`, `epci`, `consultancy` or `other`.
    pub kind: String,
}

impl From<&OrgRow> for Organisation {
    fn from(o: &OrgRow) -> Self {
        Self {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: o.kind.to_string(),
        }
    }
}

/// `GET /api/v1/organisations`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganisationList {
    /// Every organisation.
    pub organisations: Vec<Organisation>,
}

/// `GET /api/v1/me`: the caller.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// The user id.
    pub id: String,
    /// The login name.
    pub username: String,
    /// The name shown to others.
    pub display_name: String,
    /// The e-mail address.
    pub email: String,
    /// The caller's organisation.
    pub organisation: Organisation,
    /// Whether the caller administers the platform.
    pub platform_admin: bool,
}

impl From<(&UserRow, &OrgRow)> for Me {
    fn from((user, org): (&UserRow, &OrgRow)) -> Self {
        Self {
            id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            organisation: Organisation::from(org),
            platform_admin: user.platform_admin,
        }
    }
}

/// An account, as platform admins list it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct User {
    /// The user id.
    pub id: String,
    /// The login name.
    pub username: String,
    /// The name shown to others.
    pub display_name: String,
    /// The e-mail address.
    pub email: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// Whether the user administers the platform.
    pub platform_admin: bool,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// The last successful login, `null` before the first.
    pub last_login_at: Option<String>,
}

impl From<&UserRow> for User {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            organisation_id: u.organisation_id.clone(),
            platform_admin: u.platform_admin,
            disabled: u.disabled,
            last_login_at: maybe_time(u.last_login_at),
        }
    }
}

/// `GET /api/v1/users`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserList {
    /// Every account.
    pub users: Vec<User>,
}

/// `POST /api/v1/users`: the new account and its one-time password.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedUser {
    /// The user id.
    pub id: String,
    /// To change at first login (it stays valid until the person chooses a password, through
    /// the invitation or a login).
    pub initial_password: String,
    /// Whether an invitation was e-mailed (`send_invitation` asked for it).
    pub invitation_sent: bool,
    /// When the invitation's link dies if unused; `null` without an invitation.
    pub invitation_expires_at: Option<String>,
}

impl CreatedUser {
    /// The answer for `created`, with the invitation sent for it, if any.
    pub(crate) fn new(c: &NewAccount, invitation: Option<&InvitationRow>) -> Self {
        Self {
            id: c.id.clone(),
            initial_password: c.initial_password.clone(),
            invitation_sent: invitation.is_some(),
            invitation_expires_at: invitation.map(|i| rfc3339(i.expires_at)),
        }
    }
}

/// A pending invitation.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Invitation {
    /// The invited account's id.
    pub user_id: String,
    /// Its login name.
    pub username: String,
    /// Its name shown to others.
    pub display_name: String,
    /// The address the link was sent to.
    pub email: String,
    /// When the link was sent.
    pub sent_at: String,
    /// When it dies if unused.
    pub expires_at: String,
}

impl From<&InvitationRow> for Invitation {
    fn from(i: &InvitationRow) -> Self {
        Self {
            user_id: i.user.id.clone(),
            username: i.user.username.clone(),
            display_name: i.user.display_name.clone(),
            email: i.user.email.clone(),
            sent_at: rfc3339(i.sent_at),
            expires_at: rfc3339(i.expires_at),
        }
    }
}

/// `GET /api/v1/invitations`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InvitationList {
    /// The pending invitations, oldest first.
    pub invitations: Vec<Invitation>,
}

/// `POST /api/v1/users/{id}/reset`: the new one-time password.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InitialPassword {
    /// To change at next login.
    pub initial_password: String,
}

/// The contract's schema of [`OrganisationKind`] (named `OrgKind` in the OpenAPI document): the
/// domain's words, so the API accepts exactly the kinds the domain knows.
impl utoipa::PartialSchema for OrganisationKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("Organisation kinds accepted by the contract."))
            .enum_values(Some(OrganisationKind::ALL.iter().map(|k| k.as_str())))
            .into()
    }
}

impl ToSchema for OrganisationKind {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("OrgKind")
    }
}

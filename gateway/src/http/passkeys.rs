//! The caller's passkeys through the API: list, register (two requests around
//! `navigator.credentials.create`), remove.

use super::error::ApiResult;
use super::extract::{ApiJson, Authed};
use super::views::ErrorBody;
use super::AppState;
use crate::clock::rfc3339;
use crate::service::login::SecondFactor;
use crate::service::passkeys::PasskeyInfo;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/me/passkeys/registrations`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct StartBody {
    /// The caller's current password.
    current_password: String,
    /// A name for the passkey, 1 to 60 characters (e.g. "Clé USB bleue").
    name: String,
}

/// `POST /api/v1/me/passkeys`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RegisterBody {
    /// The `ceremony` of the started registration.
    ceremony: String,
    /// The `PublicKeyCredential` answered by `navigator.credentials.create`, binary fields in
    /// base64url (`id`, `rawId`, `type`, `response` with `clientDataJSON` and `attestationObject`).
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// `POST /api/v1/me/totp/removal`: a second factor, exactly one of the two.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RemoveTotpBody {
    code: Option<String>,
    recovery_code: Option<String>,
}

/// One of the caller's passkeys.
#[derive(Serialize, ToSchema)]
pub(crate) struct OwnPasskey {
    /// Its id (for `DELETE /me/passkeys/{id}`).
    id: String,
    /// The name given at registration.
    name: String,
    /// Registration time.
    created_at: String,
    /// Last sign-in with it (null when never used).
    last_used_at: Option<String>,
}

impl From<&PasskeyInfo> for OwnPasskey {
    fn from(p: &PasskeyInfo) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            created_at: rfc3339(p.created_at),
            last_used_at: p.last_used_at.map(rfc3339),
        }
    }
}

/// `{"passkeys": [...]}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct OwnPasskeyList {
    /// Oldest first.
    passkeys: Vec<OwnPasskey>,
}

/// A registration started.
#[derive(Serialize, ToSchema)]
pub(crate) struct PasskeyRegistration {
    /// Single-use id of the registration (five minutes), sent back with the credential.
    ceremony: String,
    /// The WebAuthn creation options (`{"publicKey": {...}}`, binary fields in base64url) for
    /// `navigator.credentials.create`.
    #[schema(value_type = Object)]
    options: serde_json::Value,
}

/// The caller's passkeys.
#[utoipa::path(get, path = "/me/passkeys", tag = "account", security(("bearer" = [])), responses(
    (status = 200, description = "The passkeys", body = OwnPasskeyList),
))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Authed(session): Authed,
) -> ApiResult<Json<OwnPasskeyList>> {
    let keys = s.core.my_passkeys(&session.actor).await?;
    Ok(Json(OwnPasskeyList {
        passkeys: keys.iter().map(OwnPasskey::from).collect(),
    }))
}

/// Starts registering a passkey, after the current password.
#[utoipa::path(post, path = "/me/passkeys/registrations", tag = "account", security(("bearer" = [])),
    request_body = StartBody, responses(
    (status = 200, description = "The options for the authenticator", body = PasskeyRegistration),
    (status = 401, description = "`invalid_credentials` (wrong current password)", body = ErrorBody),
    (status = 422, description = "`invalid_request`: the name is empty or too long", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn start_registration(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<StartBody>,
) -> ApiResult<Json<PasskeyRegistration>> {
    let c = s
        .core
        .start_passkey_registration(&session.actor, &b.current_password, &b.name)
        .await?;
    let options = serde_json::from_str(&c.options)
        .map_err(|e| crate::service::Error::Unexpected(anyhow::anyhow!("passkey options: {e}")))?;
    Ok(Json(PasskeyRegistration {
        ceremony: c.ceremony,
        options,
    }))
}

/// Completes a registration with the authenticator's answer.
#[utoipa::path(post, path = "/me/passkeys", tag = "account", security(("bearer" = [])),
    request_body = RegisterBody, responses(
    (status = 201, description = "Registered", body = OwnPasskey),
    (status = 409, description = "`conflict`: no registration in progress (or it expired)", body = ErrorBody),
    (status = 422, description = "`invalid_request`: the answer could not be verified", body = ErrorBody),
))]
pub(crate) async fn register(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<RegisterBody>,
) -> ApiResult<impl IntoResponse> {
    let key = s
        .core
        .finish_passkey_registration(&session.actor, &b.ceremony, &b.credential)
        .await?;
    Ok((StatusCode::CREATED, Json(OwnPasskey::from(&key))))
}

/// Removes the caller's authenticator app, their passkeys replacing it (where
/// `auth.passkeys_replace_totp` allows it), after a TOTP code or a recovery code.
#[utoipa::path(post, path = "/me/totp/removal", tag = "account", security(("bearer" = [])),
    request_body = RemoveTotpBody, responses(
    (status = 204, description = "Removed: the login now takes a passkey or a recovery code"),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the app is mandatory on this instance", body = ErrorBody),
    (status = 409, description = "`conflict`: no passkey to replace the app, or no app", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn remove_totp(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<RemoveTotpBody>,
) -> ApiResult<impl IntoResponse> {
    let factor = match (b.code, b.recovery_code) {
        (Some(c), None) => SecondFactor::Code(c.split_whitespace().collect()),
        (None, Some(r)) => SecondFactor::RecoveryCode(r),
        _ => {
            return Err(super::error::AppError::bad_request(
                "Donnez soit « code », soit « recovery_code ».",
                "Give either \"code\" or \"recovery_code\".",
            ))
        }
    };
    s.core.remove_own_totp(&session.actor, &factor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes one of the caller's passkeys.
#[utoipa::path(delete, path = "/me/passkeys/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path, description = "The passkey id")), responses(
    (status = 204, description = "Removed"),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`conflict`: the last passkey of an account without an authenticator app", body = ErrorBody),
))]
pub(crate) async fn remove(
    State(s): State<AppState>,
    Authed(session): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.remove_passkey(&session.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! The caller's own account through the API: password, sessions, recovery codes, a new
//! authenticator; and the password reset by e-mail link.

use super::error::{ApiResult, AppError};
use super::extract::{ApiJson, Authed, ClientIp};
use super::views::ErrorBody;
use super::AppState;
use crate::clock::rfc3339;
use crate::service::account::SessionInfo;
use crate::service::login::SecondFactor;
use crate::service::sessions::SessionKind;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/me/password`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// A second factor: exactly one of the two.
#[derive(Deserialize, ToSchema)]
pub(crate) struct FactorBody {
    code: Option<String>,
    recovery_code: Option<String>,
}

/// `POST /api/v1/me/totp/confirm`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ConfirmBody {
    code: String,
}

/// `POST /api/v1/auth/password-reset`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ResetRequestBody {
    email: String,
}

/// `POST /api/v1/auth/password-reset/confirm`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ResetBody {
    token: String,
    new_password: String,
    code: Option<String>,
    recovery_code: Option<String>,
}

/// What a password change answers.
#[derive(Serialize, ToSchema)]
pub(crate) struct PasswordChanged {
    /// How many other sessions of the caller ended.
    sessions_ended: u64,
}

/// One of the caller's sessions.
#[derive(Serialize, ToSchema)]
pub(crate) struct OwnSession {
    /// Its id (for `DELETE /me/sessions/{id}`).
    id: String,
    /// `bearer` or `cookie`.
    kind: &'static str,
    /// Sign-in time.
    created_at: String,
    /// Last use.
    last_seen_at: String,
    /// Address at sign-in (null for sessions opened before addresses were kept).
    ip: Option<String>,
    /// The client's `User-Agent` at sign-in.
    user_agent: Option<String>,
    /// The session of this request.
    current: bool,
}

impl From<&SessionInfo> for OwnSession {
    fn from(s: &SessionInfo) -> Self {
        Self {
            id: s.id.clone(),
            kind: match s.kind {
                SessionKind::Bearer => "bearer",
                SessionKind::Cookie => "cookie",
            },
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
            current: s.current,
        }
    }
}

/// `{"sessions": [...]}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct OwnSessionList {
    /// Most recently used first.
    sessions: Vec<OwnSession>,
}

/// `{"remaining": n}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecoveryCodesLeft {
    /// Unused recovery codes.
    remaining: i64,
}

/// New recovery codes, shown once.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecoveryCodes {
    /// 10 single-use codes; the previous ones no longer work.
    recovery_codes: Vec<String>,
}

/// A new authenticator key to confirm.
#[derive(Serialize, ToSchema)]
pub(crate) struct NewTotp {
    /// The `otpauth://` URI to scan.
    otpauth_uri: String,
    /// The secret in base32.
    totp_secret: String,
}

/// `{}`: the same answer whatever the address.
#[derive(Serialize, ToSchema)]
pub(crate) struct Accepted {}

fn factor(code: Option<String>, recovery_code: Option<String>) -> Option<SecondFactor> {
    match (code, recovery_code) {
        (Some(c), None) => Some(SecondFactor::Code(c.split_whitespace().collect())),
        (None, Some(r)) => Some(SecondFactor::RecoveryCode(r)),
        _ => None,
    }
}

/// The refusal of a body with both second factors, or neither.
fn one_factor() -> AppError {
    AppError::bad_request(
        "Donnez soit « code », soit « recovery_code ».",
        "Give either \"code\" or \"recovery_code\".",
    )
}

/// Changes the caller's password; the caller's other sessions end.
#[utoipa::path(post, path = "/me/password", tag = "account", security(("bearer" = [])),
    request_body = ChangePasswordBody, responses(
    (status = 200, description = "Changed", body = PasswordChanged),
    (status = 401, description = "`invalid_credentials` (wrong current password)", body = ErrorBody),
    (status = 422, description = "`weak_password` or `same_password`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn change_password(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<ChangePasswordBody>,
) -> ApiResult<Json<PasswordChanged>> {
    let sessions_ended = s
        .core
        .change_own_password(&session, &b.current_password, &b.new_password)
        .await?;
    Ok(Json(PasswordChanged { sessions_ended }))
}

/// The caller's live sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "account", security(("bearer" = [])), responses(
    (status = 200, description = "The sessions", body = OwnSessionList),
))]
pub(crate) async fn sessions(
    State(s): State<AppState>,
    Authed(session): Authed,
) -> ApiResult<Json<OwnSessionList>> {
    let list = s.core.my_sessions(&session).await?;
    Ok(Json(OwnSessionList {
        sessions: list.iter().map(OwnSession::from).collect(),
    }))
}

/// Ends one of the caller's sessions (this one included).
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path, description = "The session id")), responses(
    (status = 204, description = "Ended"),
    (status = 404, description = "`not_found`", body = ErrorBody),
))]
pub(crate) async fn end_session(
    State(s): State<AppState>,
    Authed(session): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.end_my_session(&session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many recovery codes the caller has left.
#[utoipa::path(get, path = "/me/recovery-codes", tag = "account", security(("bearer" = [])), responses(
    (status = 200, description = "The count", body = RecoveryCodesLeft),
))]
pub(crate) async fn recovery_codes_left(
    State(s): State<AppState>,
    Authed(session): Authed,
) -> ApiResult<Json<RecoveryCodesLeft>> {
    let remaining = s.core.recovery_codes_left(&session.actor).await?;
    Ok(Json(RecoveryCodesLeft { remaining }))
}

/// New recovery codes (the old ones die), after a TOTP code or a recovery code.
#[utoipa::path(post, path = "/me/recovery-codes", tag = "account", security(("bearer" = [])),
    request_body = FactorBody, responses(
    (status = 200, description = "The new codes, shown once", body = RecoveryCodes),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn regenerate_recovery_codes(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<FactorBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    let f = factor(b.code, b.recovery_code).ok_or_else(one_factor)?;
    let recovery_codes = s.core.regenerate_recovery_codes(&session.actor, &f).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// Starts enrolling a new authenticator, after a TOTP code or a recovery code.
#[utoipa::path(post, path = "/me/totp", tag = "account", security(("bearer" = [])),
    request_body = FactorBody, responses(
    (status = 200, description = "The new key, to confirm with a code", body = NewTotp),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn start_totp(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<FactorBody>,
) -> ApiResult<Json<NewTotp>> {
    let f = factor(b.code, b.recovery_code).ok_or_else(one_factor)?;
    let e = s.core.start_reenrolment(&session.actor, &f).await?;
    Ok(Json(NewTotp {
        otpauth_uri: e.otpauth_uri,
        totp_secret: e.secret_base32,
    }))
}

/// Confirms the new authenticator with its code: it replaces the old one; new recovery codes.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "account", security(("bearer" = [])),
    request_body = ConfirmBody, responses(
    (status = 200, description = "Enrolled; the new recovery codes, shown once", body = RecoveryCodes),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 409, description = "`conflict`: no enrolment started", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn confirm_totp(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<ConfirmBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    let code: String = b.code.split_whitespace().collect();
    let recovery_codes = s.core.confirm_reenrolment(&session.actor, &code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// Asks for a password reset link by e-mail; the same answer whether or not the address is known.
#[utoipa::path(post, path = "/auth/password-reset", tag = "login", request_body = ResetRequestBody, responses(
    (status = 202, description = "A link was sent if an account matches", body = Accepted),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn request_reset(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<ResetRequestBody>,
) -> ApiResult<impl IntoResponse> {
    s.core.request_password_reset(&b.email, &ip).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted {})))
}

/// Sets a new password with the link's token and the second factor; every session ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "login", request_body = ResetBody, responses(
    (status = 204, description = "The password is changed"),
    (status = 401, description = "`invalid_challenge` (unknown, used or expired link) or `invalid_code`", body = ErrorBody),
    (status = 422, description = "`weak_password`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn reset(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<ResetBody>,
) -> ApiResult<impl IntoResponse> {
    let f = factor(b.code, b.recovery_code).ok_or_else(one_factor)?;
    s.core
        .reset_password(&b.token, &b.new_password, &f, &ip)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

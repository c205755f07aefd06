//! The three-step login of the contract, logout and `/me`.

use super::error::ApiResult;
use super::extract::{ApiJson, Authed, ClientIp};
use super::views::{ErrorBody, LoginStep, Me, Token};
use super::AppState;
use crate::service::login::SecondFactor;
use crate::service::sessions::SessionKind;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /api/v1/auth/login`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/v1/auth/password`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PasswordBody {
    challenge: String,
    new_password: String,
}

/// `POST /api/v1/auth/totp`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct TotpBody {
    challenge: String,
    code: Option<String>,
    recovery_code: Option<String>,
}

/// `POST /api/v1/auth/webauthn`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct WebauthnBody {
    challenge: String,
    /// The `PublicKeyCredential` answered by `navigator.credentials.get` for the options of the
    /// `totp` step, binary fields in base64url (`id`, `rawId`, `type`, `response` with
    /// `clientDataJSON`, `authenticatorData`, `signature`, `userHandle`).
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// Step 1.
#[utoipa::path(post, path = "/auth/login", tag = "login", request_body = LoginBody, responses(
    (status = 200, description = "The next step", body = LoginStep),
    (status = 401, description = "`invalid_credentials`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginStep>> {
    let issued = s.core.login_password(&b.username, &b.password, &ip).await?;
    Ok(Json(LoginStep::from(&issued)))
}

/// Step 2 (when asked).
#[utoipa::path(post, path = "/auth/password", tag = "login", request_body = PasswordBody, responses(
    (status = 200, description = "The next step", body = LoginStep),
    (status = 401, description = "`invalid_challenge`", body = ErrorBody),
    (status = 422, description = "`weak_password`, the reason in `message`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<Json<LoginStep>> {
    let issued = s
        .core
        .login_change_password(&b.challenge, &b.new_password, &ip)
        .await?;
    Ok(Json(LoginStep::from(&issued)))
}

/// Step 3: TOTP code or recovery code; answers the bearer token.
#[utoipa::path(post, path = "/auth/totp", tag = "login", request_body = TotpBody, responses(
    (status = 200, description = "The session", body = Token),
    (status = 401, description = "`invalid_challenge` or `invalid_code`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn totp(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    ApiJson(b): ApiJson<TotpBody>,
) -> ApiResult<Json<Token>> {
    let factor = match (b.code, b.recovery_code) {
        (Some(c), None) => SecondFactor::Code(c),
        (None, Some(r)) => SecondFactor::RecoveryCode(r),
        _ => {
            return Err(super::error::AppError::bad_request(
                "Donnez soit « code », soit « recovery_code ».",
                "Give either \"code\" or \"recovery_code\".",
            ))
        }
    };
    let done = s
        .core
        .login_second_factor(
            &b.challenge,
            &factor,
            &ip,
            SessionKind::Bearer,
            super::extract::user_agent(&headers),
        )
        .await?;
    Ok(Json(Token::from(&done)))
}

/// Step 3 with a passkey instead of a code (accounts with passkeys: the `totp` step carries
/// `webauthn` options); answers the bearer token.
#[utoipa::path(post, path = "/auth/webauthn", tag = "login", request_body = WebauthnBody, responses(
    (status = 200, description = "The session", body = Token),
    (status = 401, description = "`invalid_challenge`, or `invalid_code` (the passkey's answer was refused)", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn webauthn(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    ApiJson(b): ApiJson<WebauthnBody>,
) -> ApiResult<Json<Token>> {
    let done = s
        .core
        .login_second_factor(
            &b.challenge,
            &SecondFactor::Passkey(b.credential),
            &ip,
            SessionKind::Bearer,
            super::extract::user_agent(&headers),
        )
        .await?;
    Ok(Json(Token::from(&done)))
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/auth/logout", tag = "login", security(("bearer" = [])), responses(
    (status = 204, description = "The session has ended"),
))]
pub(crate) async fn logout(
    State(s): State<AppState>,
    Authed(session): Authed,
) -> ApiResult<impl IntoResponse> {
    s.core.logout(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's identity.
#[utoipa::path(get, path = "/me", tag = "login", security(("bearer" = [])), responses(
    (status = 200, description = "The caller", body = Me),
))]
pub(crate) async fn me(State(s): State<AppState>, Authed(session): Authed) -> ApiResult<Json<Me>> {
    let (user, org) = s.core.me(&session.actor).await?;
    Ok(Json(Me::from((&user, &org))))
}

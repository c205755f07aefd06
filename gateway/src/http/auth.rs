//! The three-step login of the contract, logout and `/me`.

use super::error::ApiResult;
use super::extract::{ApiJson, Authed, ClientIp};
use super::AppState;
use crate::clock::rfc3339;
use crate::service::login::{Issued, SecondFactor, Step};
use crate::service::sessions::SessionKind;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `POST /api/v1/auth/login`.
#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/v1/auth/password`.
#[derive(Deserialize)]
pub struct PasswordBody {
    challenge: String,
    new_password: String,
}

/// `POST /api/v1/auth/totp`.
#[derive(Deserialize)]
pub struct TotpBody {
    challenge: String,
    code: Option<String>,
    recovery_code: Option<String>,
}

/// The JSON of a login step.
pub fn step_json(issued: &Issued) -> Value {
    let mut body = json!({ "step": issued.step.name(), "challenge": issued.challenge });
    if let Step::EnrollTotp {
        otpauth_uri,
        secret_base32,
    } = &issued.step
    {
        body["otpauth_uri"] = json!(otpauth_uri);
        body["totp_secret"] = json!(secret_base32);
    }
    body
}

/// Step 1.
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let issued = s.core.login_password(&b.username, &b.password, &ip).await?;
    Ok(Json(step_json(&issued)))
}

/// Step 2 (when asked).
pub async fn password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<Json<Value>> {
    let issued = s
        .core
        .login_change_password(&b.challenge, &b.new_password, &ip)
        .await?;
    Ok(Json(step_json(&issued)))
}

/// Step 3: TOTP code or recovery code; answers the bearer token.
pub async fn totp(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<TotpBody>,
) -> ApiResult<Json<Value>> {
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
        .login_second_factor(&b.challenge, &factor, &ip, SessionKind::Bearer)
        .await?;
    let mut body =
        json!({ "token": done.session.token, "expires_at": rfc3339(done.session.expires_at) });
    if let Some(codes) = done.recovery_codes {
        body["recovery_codes"] = json!(codes);
    }
    Ok(Json(body))
}

/// Ends the caller's session.
pub async fn logout(
    State(s): State<AppState>,
    Authed(session): Authed,
) -> ApiResult<impl IntoResponse> {
    s.core.logout(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's identity.
pub async fn me(State(s): State<AppState>, Authed(session): Authed) -> ApiResult<Json<Value>> {
    let (user, org) = s.core.me(&session.actor).await?;
    Ok(Json(json!({
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "organisation": { "id": org.id, "name": org.name, "kind": org.kind },
        "platform_admin": user.platform_admin != 0,
    })))
}

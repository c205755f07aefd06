//! The lockdown through the API (the twin of the `/admin/interruption` page).

use super::error::ApiResult;
use super::extract::{ApiJson, Authed};
use super::views::{ErrorBody, LockdownView};
use super::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /api/v1/admin/lockdown`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct LockdownBody {
    /// `true` interrupts the service, `false` restores it.
    active: bool,
    /// Why (required to lock down; recorded in the audit trail).
    #[serde(default)]
    reason: String,
    /// A fresh code of the caller's authenticator app, or one of their recovery codes.
    code: String,
}

/// Where the lockdown stands.
#[utoipa::path(get, path = "/admin/lockdown", tag = "administration", security(("bearer" = [])),
    responses(
    (status = 200, description = "The lockdown", body = LockdownView),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
))]
pub(crate) async fn get(
    State(s): State<AppState>,
    Authed(a): Authed,
) -> ApiResult<Json<LockdownView>> {
    let state = s.core.lockdown_for(&a.actor).await?;
    Ok(Json(LockdownView::new(state, 0)))
}

/// Locks the service down (every session and token ends, the caller's included) or restores it,
/// confirmed with a fresh second-factor code.
#[utoipa::path(post, path = "/admin/lockdown", tag = "administration", security(("bearer" = [])),
    request_body = LockdownBody, responses(
    (status = 200, description = "The lockdown after the change (unchanged when it already was so)", body = LockdownView),
    (status = 401, description = "`unauthenticated` (no session), or `invalid_code`: the code was refused", body = ErrorBody),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 422, description = "`invalid_request`: no reason given to lock down", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
))]
pub(crate) async fn set(
    State(s): State<AppState>,
    Authed(a): Authed,
    ApiJson(b): ApiJson<LockdownBody>,
) -> ApiResult<Json<LockdownView>> {
    let factor = crate::http::web::second_factor(&b.code).ok_or_else(|| {
        super::error::AppError::bad_request(
            "Donnez le code de votre application d'authentification dans « code ».",
            "Give your authenticator app's code in \"code\".",
        )
    })?;
    let done = s
        .core
        .set_lockdown(Some(&a.actor), b.active, &b.reason, Some(&factor))
        .await?;
    let state = s.core.lockdown().await?;
    Ok(Json(LockdownView::new(state, done.sessions_ended)))
}

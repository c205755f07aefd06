//! Invitations (platform admins): the pending ones, sending one (again), withdrawing one.

use super::error::ApiResult;
use super::extract::Authed;
use super::views::{ErrorBody, Invitation, InvitationList};
use super::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

/// Lists the pending invitations.
#[utoipa::path(get, path = "/invitations", tag = "administration", security(("bearer" = [])),
    responses(
    (status = 200, description = "The pending invitations, oldest first", body = InvitationList),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Authed(a): Authed,
) -> ApiResult<Json<InvitationList>> {
    let invitations = s.core.list_invitations(&a.actor).await?;
    Ok(Json(InvitationList {
        invitations: invitations.iter().map(Invitation::from).collect(),
    }))
}

/// Sends an account its invitation (again: the older link dies).
#[utoipa::path(post, path = "/users/{id}/invitation", tag = "administration",
    security(("bearer" = [])), params(("id" = String, Path, description = "The user id")), responses(
    (status = 200, description = "Sent: the pending invitation", body = Invitation),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    (status = 409, description = "`conflict`: the account is disabled or has already enrolled \
        an authenticator", body = ErrorBody),
))]
pub(crate) async fn send(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Invitation>> {
    let sent = s.core.send_invitation(&a.actor, &id).await?;
    Ok(Json(Invitation::from(&sent)))
}

/// Withdraws an account's pending invitation.
#[utoipa::path(delete, path = "/users/{id}/invitation", tag = "administration",
    security(("bearer" = [])), params(("id" = String, Path, description = "The user id")), responses(
    (status = 204, description = "Withdrawn: the link no longer works"),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 404, description = "`not_found`: no pending invitation for this id", body = ErrorBody),
))]
pub(crate) async fn revoke(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.revoke_invitation(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

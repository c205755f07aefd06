//! Platform administration: organisations and accounts.

use super::error::ApiResult;
use super::extract::{ApiJson, Authed};
use super::AppState;
use crate::clock::{from_millis, rfc3339};
use crate::service::accounts::UserSpec;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// Organisation kinds accepted by the contract.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    /// Social landlord.
    Bailleur,
    /// Inter-municipal body.
    Epci,
    /// Consultancy.
    Consultancy,
    /// Anything else.
    Other,
}

impl OrgKind {
    fn as_str(self) -> &'static str {
        match self {
            OrgKind::Bailleur => "bailleur",
            OrgKind::Epci => "epci",
            OrgKind::Consultancy => "consultancy",
            OrgKind::Other => "other",
        }
    }
}

/// `POST /api/v1/organisations`.
#[derive(Deserialize)]
pub struct NewOrg {
    name: String,
    kind: OrgKind,
}

/// `POST /api/v1/users`.
#[derive(Deserialize)]
pub struct NewUserBody {
    username: String,
    display_name: String,
    email: String,
    organisation_id: String,
    #[serde(default)]
    platform_admin: bool,
}

/// Creates an organisation.
pub async fn create_org(
    State(s): State<AppState>,
    Authed(a): Authed,
    ApiJson(b): ApiJson<NewOrg>,
) -> ApiResult<impl IntoResponse> {
    let id = s
        .core
        .create_organisation(&a.actor, &b.name, b.kind.as_str())
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Lists organisations.
pub async fn list_orgs(State(s): State<AppState>, Authed(a): Authed) -> ApiResult<Json<Value>> {
    let orgs = s.core.list_organisations(&a.actor).await?;
    let list: Vec<Value> = orgs
        .into_iter()
        .map(|o| json!({ "id": o.id, "name": o.name, "kind": o.kind }))
        .collect();
    Ok(Json(json!({ "organisations": list })))
}

/// Creates an account.
pub async fn create_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    ApiJson(b): ApiJson<NewUserBody>,
) -> ApiResult<impl IntoResponse> {
    let created = s
        .core
        .create_user(
            &a.actor,
            &UserSpec {
                username: b.username,
                display_name: b.display_name,
                email: b.email,
                organisation_id: b.organisation_id,
                platform_admin: b.platform_admin,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": created.id, "initial_password": created.initial_password })),
    ))
}

/// Lists accounts.
pub async fn list_users(State(s): State<AppState>, Authed(a): Authed) -> ApiResult<Json<Value>> {
    let users = s.core.list_users(&a.actor).await?;
    let list: Vec<Value> = users
        .into_iter()
        .map(|u| {
            json!({
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "email": u.email,
                "organisation_id": u.organisation_id,
                "platform_admin": u.platform_admin != 0,
                "disabled": u.disabled != 0,
                "last_login_at": u.last_login_at.map(|t| rfc3339(from_millis(t))),
            })
        })
        .collect();
    Ok(Json(json!({ "users": list })))
}

/// Disables an account.
pub async fn disable_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.disable_user(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resets an account.
pub async fn reset_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let initial_password = s.core.reset_user(&a.actor, &id).await?;
    Ok(Json(json!({ "initial_password": initial_password })))
}

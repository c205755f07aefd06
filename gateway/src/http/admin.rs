//! Platform administration: organisations and accounts.

use super::error::ApiResult;
use super::extract::{ApiJson, Authed};
use super::views::{
    Created, CreatedUser, ErrorBody, InitialPassword, Organisation, OrganisationList, User,
    UserList,
};
use super::AppState;
use crate::domain::OrganisationKind;
use crate::service::accounts::UserSpec;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /api/v1/organisations`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct NewOrg {
    name: String,
    kind: OrganisationKind,
}

/// `POST /api/v1/users`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct NewUserBody {
    username: String,
    display_name: String,
    email: String,
    organisation_id: String,
    #[serde(default)]
    platform_admin: bool,
    /// Also e-mail an invitation: a single-use link to set the password, accept the charter
    /// and enrol (`invite` is accepted as another name).
    #[serde(default, alias = "invite")]
    send_invitation: bool,
}

/// Creates an organisation.
#[utoipa::path(post, path = "/organisations", tag = "administration", security(("bearer" = [])),
    request_body = NewOrg, responses(
    (status = 201, description = "Created", body = Created),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 409, description = "`conflict`: the name is taken", body = ErrorBody),
    (status = 422, description = "`invalid_request`: an empty or too long name", body = ErrorBody),
))]
pub(crate) async fn create_org(
    State(s): State<AppState>,
    Authed(a): Authed,
    ApiJson(b): ApiJson<NewOrg>,
) -> ApiResult<impl IntoResponse> {
    let id = s
        .core
        .create_organisation(&a.actor, &b.name, b.kind.as_str())
        .await?;
    Ok((StatusCode::CREATED, Json(Created::from(id))))
}

/// Lists organisations.
#[utoipa::path(get, path = "/organisations", tag = "administration", security(("bearer" = [])),
    responses(
    (status = 200, description = "Every organisation", body = OrganisationList),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
))]
pub(crate) async fn list_orgs(
    State(s): State<AppState>,
    Authed(a): Authed,
) -> ApiResult<Json<OrganisationList>> {
    let orgs = s.core.list_organisations(&a.actor).await?;
    Ok(Json(OrganisationList {
        organisations: orgs.iter().map(Organisation::from).collect(),
    }))
}

/// Creates an account.
#[utoipa::path(post, path = "/users", tag = "administration", security(("bearer" = [])),
    request_body = NewUserBody, responses(
    (status = 201, description = "Created, with its one-time password (and the invitation sent \
        when `send_invitation` asked for one)", body = CreatedUser),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 409, description = "`conflict`: the username is taken", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
))]
pub(crate) async fn create_user(
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
    let invitation = if b.send_invitation {
        Some(s.core.send_invitation(&a.actor, &created.id).await?)
    } else {
        None
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser::new(&created, invitation.as_ref())),
    ))
}

/// Lists accounts.
#[utoipa::path(get, path = "/users", tag = "administration", security(("bearer" = [])), responses(
    (status = 200, description = "Every account", body = UserList),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
))]
pub(crate) async fn list_users(
    State(s): State<AppState>,
    Authed(a): Authed,
) -> ApiResult<Json<UserList>> {
    let users = s.core.list_users(&a.actor).await?;
    Ok(Json(UserList {
        users: users.iter().map(User::from).collect(),
    }))
}

/// Disables an account.
#[utoipa::path(post, path = "/users/{id}/disable", tag = "administration",
    security(("bearer" = [])), params(("id" = String, Path, description = "The user id")), responses(
    (status = 204, description = "Disabled; its sessions have ended"),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
))]
pub(crate) async fn disable_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.disable_user(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resets an account.
#[utoipa::path(post, path = "/users/{id}/reset", tag = "administration",
    security(("bearer" = [])), params(("id" = String, Path, description = "The user id")), responses(
    (status = 200, description = "A new one-time password", body = InitialPassword),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
))]
pub(crate) async fn reset_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<InitialPassword>> {
    let initial_password = s.core.reset_user(&a.actor, &id).await?;
    Ok(Json(InitialPassword { initial_password }))
}

/// Enables a disabled account again.
#[utoipa::path(post, path = "/users/{id}/enable", tag = "administration",
    security(("bearer" = [])), params(("id" = String, Path, description = "The user id")), responses(
    (status = 204, description = "Enabled: it signs in again with its password and second factor"),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 404, description = "`not_found`: no such account", body = ErrorBody),
))]
pub(crate) async fn enable_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.enable_user(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH /api/v1/users/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserPatch {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    organisation_id: Option<String>,
}

/// Changes an account's name, e-mail or organisation.
#[utoipa::path(patch, path = "/users/{id}", tag = "administration", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user id")), request_body = UserPatch,
    responses(
    (status = 200, description = "The account as changed", body = User),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    (status = 409, description = "`conflict`: a new organisation while the person holds roles \
        in running missions", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
))]
pub(crate) async fn patch_user(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UserPatch>,
) -> ApiResult<Json<User>> {
    let changes = crate::service::account_edits::UserChanges {
        display_name: b.display_name,
        email: b.email,
        organisation_id: b.organisation_id,
    };
    let user = s.core.update_user(&a.actor, &id, &changes).await?;
    Ok(Json(User::from(&user)))
}

/// `PATCH /api/v1/organisations/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrgPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<OrganisationKind>,
}

/// Changes an organisation's name or kind.
#[utoipa::path(patch, path = "/organisations/{id}", tag = "administration",
    security(("bearer" = [])), params(("id" = String, Path, description = "The organisation id")),
    request_body = OrgPatch, responses(
    (status = 200, description = "The organisation as changed", body = Organisation),
    (status = 403, description = "`forbidden`: platform admins only; a kind excluded from raw \
        data while members hold such roles", body = ErrorBody),
    (status = 404, description = "`not_found`: no such organisation", body = ErrorBody),
    (status = 409, description = "`conflict`: the name is taken", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
))]
pub(crate) async fn patch_org(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OrgPatch>,
) -> ApiResult<Json<Organisation>> {
    let changes = crate::service::account_edits::OrganisationChanges {
        name: b.name,
        kind: b.kind.map(|k| k.as_str().to_owned()),
    };
    let org = s.core.update_organisation(&a.actor, &id, &changes).await?;
    Ok(Json(Organisation::from(&org)))
}

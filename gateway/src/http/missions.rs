//! Missions and participants.

use super::error::{ApiResult, AppError};
use super::extract::{ApiJson, Authed};
use super::views::{
    Certificate, Created, ErrorBody, MissionDetail, MissionList, MissionSummary, ParticipantAdded,
    SigningKey,
};
use super::AppState;
use crate::service::missions::{AccessWindow, MissionPatch, NewMission};
use crate::service::permissions::Role;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

/// `POST /api/v1/missions`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct NewMissionBody {
    name: String,
    purpose: String,
    controller_organisation_id: String,
    #[schema(value_type = String, format = DateTime)]
    ends_at: DateTime<Utc>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    results_retained_until: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(value_type = Option<super::views::AccessWindow>)]
    access_window: Option<AccessWindow>,
}

/// Distinguishes a field set to `null` from a missing field.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/missions/{id}`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PatchBody {
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    results_retained_until: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<super::views::AccessWindow>)]
    access_window: Option<Option<AccessWindow>>,
}

/// `POST /api/v1/missions/{id}/participants`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ParticipantBody {
    user_id: String,
    #[schema(value_type = super::views::RoleName)]
    role: Role,
}

/// Creates a mission.
#[utoipa::path(post, path = "/missions", tag = "missions", security(("bearer" = [])),
    request_body = NewMissionBody, responses(
    (status = 201, description = "Created", body = Created),
    (status = 403, description = "`forbidden`: platform admins only", body = ErrorBody),
    (status = 404, description = "`not_found`: no such controller organisation", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
))]
pub(crate) async fn create(
    State(s): State<AppState>,
    Authed(a): Authed,
    ApiJson(b): ApiJson<NewMissionBody>,
) -> ApiResult<impl IntoResponse> {
    let id = s
        .core
        .create_mission(
            &a.actor,
            &NewMission {
                name: b.name,
                purpose: b.purpose,
                controller_organisation_id: b.controller_organisation_id,
                ends_at: b.ends_at,
                results_retained_until: b.results_retained_until,
                access_window: b.access_window,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Created::from(id))))
}

/// Lists the caller's missions.
#[utoipa::path(get, path = "/missions", tag = "missions", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's missions", body = MissionList),
))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Authed(a): Authed,
) -> ApiResult<Json<MissionList>> {
    let missions = s.core.list_missions(&a.actor).await?;
    Ok(Json(MissionList {
        missions: missions.iter().map(MissionSummary::from).collect(),
    }))
}

async fn full(s: &AppState, a: &crate::service::Actor, id: &str) -> ApiResult<Json<MissionDetail>> {
    let (view, participants) = s.core.mission(a, id).await?;
    Ok(Json(MissionDetail::from((&view, participants.as_slice()))))
}

/// One mission with its participants.
#[utoipa::path(get, path = "/missions/{id}", tag = "missions", security(("bearer" = [])),
    params(("id" = String, Path, description = "The mission id")), responses(
    (status = 200, description = "The mission and its participants", body = MissionDetail),
))]
pub(crate) async fn get(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<MissionDetail>> {
    full(&s, &a.actor, &id).await
}

/// Changes dates or the access window.
#[utoipa::path(patch, path = "/missions/{id}", tag = "missions", security(("bearer" = [])),
    params(("id" = String, Path, description = "The mission id")), request_body = PatchBody,
    responses(
    (status = 200, description = "The mission as changed", body = MissionDetail),
    (status = 403, description = "`forbidden`: managers and platform admins", body = ErrorBody),
    (status = 409, description = "`conflict`: the mission has ended", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
))]
pub(crate) async fn patch(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PatchBody>,
) -> ApiResult<Json<MissionDetail>> {
    if b.ends_at.is_none() && b.results_retained_until.is_none() && b.access_window.is_none() {
        return Err(AppError::bad_request(
            "Rien à modifier : indiquez ends_at, results_retained_until ou access_window.",
            "Nothing to change: give ends_at, results_retained_until or access_window.",
        ));
    }
    let patch = MissionPatch {
        ends_at: b.ends_at,
        reason: b.reason,
        results_retained_until: b.results_retained_until,
        access_window: b.access_window,
    };
    s.core.update_mission(&a.actor, &id, &patch).await?;
    full(&s, &a.actor, &id).await
}

/// Adds a participant role.
#[utoipa::path(post, path = "/missions/{id}/participants", tag = "missions",
    security(("bearer" = [])), params(("id" = String, Path, description = "The mission id")),
    request_body = ParticipantBody, responses(
    (status = 201, description = "Granted", body = ParticipantAdded),
    (status = 403, description = "`forbidden`: managers and platform admins; no grant to oneself; \
        no raw-data role for an excluded organisation kind", body = ErrorBody),
    (status = 409, description = "`conflict`", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
))]
pub(crate) async fn add_participant(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ParticipantBody>,
) -> ApiResult<impl IntoResponse> {
    s.core
        .add_participant(&a.actor, &id, &b.user_id, b.role)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ParticipantAdded {
            user_id: b.user_id,
            role: b.role.into(),
        }),
    ))
}

/// Removes a participant.
#[utoipa::path(delete, path = "/missions/{id}/participants/{user_id}", tag = "missions",
    security(("bearer" = [])), params(
        ("id" = String, Path, description = "The mission id"),
        ("user_id" = String, Path, description = "The participant's user id"),
    ), responses(
    (status = 204, description = "Removed: the user's access ends at once"),
    (status = 403, description = "`forbidden`: managers and platform admins", body = ErrorBody),
    (status = 409, description = "`conflict`", body = ErrorBody),
))]
pub(crate) async fn remove_participant(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    s.core.remove_participant(&a.actor, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspends a mission.
#[utoipa::path(post, path = "/missions/{id}/suspend", tag = "missions",
    security(("bearer" = [])), params(("id" = String, Path, description = "The mission id")),
    responses(
    (status = 204, description = "Suspended"),
    (status = 403, description = "`forbidden`: managers and platform admins", body = ErrorBody),
    (status = 409, description = "`conflict`: the mission has ended", body = ErrorBody),
))]
pub(crate) async fn suspend(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.set_suspended(&a.actor, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resumes a mission.
#[utoipa::path(post, path = "/missions/{id}/resume", tag = "missions",
    security(("bearer" = [])), params(("id" = String, Path, description = "The mission id")),
    responses(
    (status = 204, description = "Resumed"),
    (status = 403, description = "`forbidden`: managers and platform admins", body = ErrorBody),
    (status = 409, description = "`conflict`: the mission has ended", body = ErrorBody),
))]
pub(crate) async fn resume(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.set_suspended(&a.actor, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a mission now and destroys what it may not keep.
#[utoipa::path(post, path = "/missions/{id}/close", tag = "missions",
    security(("bearer" = [])), params(("id" = String, Path, description = "The mission id")),
    responses(
    (status = 202, description = "Ended; its destruction has started"),
    (status = 403, description = "`forbidden`: managers and platform admins", body = ErrorBody),
    (status = 409, description = "`conflict`: the mission has ended", body = ErrorBody),
))]
pub(crate) async fn close(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.close_mission(&a.actor, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The signed destruction certificate of a destroyed mission.
#[utoipa::path(get, path = "/missions/{id}/certificate", tag = "accountability",
    security(("bearer" = [])), params(("id" = String, Path, description = "The mission id")),
    responses(
    (status = 200, description = "The signed certificate", body = Certificate),
    (status = 403, description = "`forbidden`", body = ErrorBody),
    (status = 404, description = "`not_found`: not destroyed yet, or not visible", body = ErrorBody),
))]
pub(crate) async fn certificate(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Certificate>> {
    let document = s.core.certificate(&a.actor, &id).await?;
    Ok(Json(serde_json::from_value(document).map_err(|e| {
        crate::service::Error::Unexpected(anyhow::anyhow!("a certificate of another shape: {e}"))
    })?))
}

/// The instance's certificate-signing public key (no authentication).
#[utoipa::path(get, path = "/.well-known/passerelle-signing-key", tag = "accountability",
    responses((status = 200, description = "The public key", body = SigningKey)))]
pub(crate) async fn signing_key(State(s): State<AppState>) -> ApiResult<Json<SigningKey>> {
    let document = s.core.signer.public_document();
    Ok(Json(serde_json::from_value(document).map_err(|e| {
        crate::service::Error::Unexpected(anyhow::anyhow!("a signing key of another shape: {e}"))
    })?))
}

/// The certificate as a printable French page, for the same people as the JSON.
pub(crate) async fn certificate_html(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use admin_ui::Template as _;
    let cert = s.core.certificate(&a.actor, &id).await?;
    let page = super::certificate_page::view(&cert);
    let html = page.render().map_err(|e| {
        crate::service::Error::Unexpected(anyhow::anyhow!("rendering the certificate: {e}"))
    })?;
    Ok(axum::response::Html(html).into_response())
}

/// Takes one role from a participant.
#[utoipa::path(delete, path = "/missions/{id}/participants/{user_id}/roles/{role}", tag = "missions",
    security(("bearer" = [])), params(
        ("id" = String, Path, description = "The mission id"),
        ("user_id" = String, Path, description = "The participant's user id"),
        ("role" = super::views::RoleName, Path, description = "The role taken"),
    ), responses(
    (status = 204, description = "Taken; the participant's other roles stay"),
    (status = 403, description = "`forbidden`: managers and platform admins; not one's own role", body = ErrorBody),
    (status = 404, description = "`not_found`: the participant does not hold this role", body = ErrorBody),
    (status = 409, description = "`conflict`: the mission has ended", body = ErrorBody),
))]
pub(crate) async fn remove_role(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path((id, user_id, role)): Path<(String, String, String)>,
) -> ApiResult<impl IntoResponse> {
    // An unknown role is a role nobody holds.
    let role = Role::parse(&role).ok_or(crate::service::Error::NotFound)?;
    s.core.remove_role(&a.actor, &id, &user_id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Missions and participants.

use super::error::{ApiResult, AppError};
use super::extract::{ApiJson, Authed};
use super::AppState;
use crate::clock::{from_millis, rfc3339};
use crate::db::missions::ParticipantRow;
use crate::service::missions::{AccessWindow, MissionPatch, MissionView, NewMission};
use crate::service::permissions::Role;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

/// `POST /api/v1/missions`.
#[derive(Deserialize)]
pub struct NewMissionBody {
    name: String,
    purpose: String,
    controller_organisation_id: String,
    ends_at: DateTime<Utc>,
    #[serde(default)]
    results_retained_until: Option<DateTime<Utc>>,
    #[serde(default)]
    access_window: Option<AccessWindow>,
}

/// Distinguishes a field set to `null` from a missing field.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/missions/{id}`.
#[derive(Deserialize)]
pub struct PatchBody {
    #[serde(default)]
    ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default, deserialize_with = "present")]
    results_retained_until: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    access_window: Option<Option<AccessWindow>>,
}

/// `POST /api/v1/missions/{id}/participants`.
#[derive(Deserialize)]
pub struct ParticipantBody {
    user_id: String,
    role: Role,
}

fn roles_json(roles: &[Role]) -> Value {
    json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>())
}

/// The JSON of a mission, as listed.
pub fn mission_json(v: &MissionView) -> Value {
    let m = &v.mission;
    json!({
        "id": m.id,
        "name": m.name,
        "purpose": m.purpose,
        "ends_at": rfc3339(from_millis(m.ends_at)),
        "status": m.status,
        "my_roles": roles_json(&v.my_roles),
        "controller_organisation_id": m.controller_organisation_id,
        "results_retained_until": m.results_retained_until.map(|t| rfc3339(from_millis(t))),
        "access_window": v.access_window,
    })
}

fn participants_json(rows: &[ParticipantRow]) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some(last) if last["user_id"] == row.user_id.as_str() => {
                if let Some(roles) = last["roles"].as_array_mut() {
                    roles.push(json!(row.role));
                }
            }
            _ => out.push(json!({
                "user_id": row.user_id,
                "display_name": row.display_name,
                "organisation_id": row.organisation_id,
                "roles": [row.role],
            })),
        }
    }
    json!(out)
}

/// Creates a mission.
pub async fn create(
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
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Lists the caller's missions.
pub async fn list(State(s): State<AppState>, Authed(a): Authed) -> ApiResult<Json<Value>> {
    let missions = s.core.list_missions(&a.actor).await?;
    Ok(Json(
        json!({ "missions": missions.iter().map(mission_json).collect::<Vec<_>>() }),
    ))
}

async fn full(s: &AppState, a: &crate::service::Actor, id: &str) -> ApiResult<Json<Value>> {
    let (view, participants) = s.core.mission(a, id).await?;
    let mut body = mission_json(&view);
    body["participants"] = participants_json(&participants);
    Ok(Json(body))
}

/// One mission with its participants.
pub async fn get(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    full(&s, &a.actor, &id).await
}

/// Changes dates or the access window.
pub async fn patch(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PatchBody>,
) -> ApiResult<Json<Value>> {
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
pub async fn add_participant(
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
        Json(json!({ "user_id": b.user_id, "role": b.role.as_str() })),
    ))
}

/// Removes a participant.
pub async fn remove_participant(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    s.core.remove_participant(&a.actor, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspends a mission.
pub async fn suspend(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.set_suspended(&a.actor, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resumes a mission.
pub async fn resume(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.set_suspended(&a.actor, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a mission now and destroys what it may not keep.
pub async fn close(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.close_mission(&a.actor, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The signed destruction certificate of a destroyed mission.
pub async fn certificate(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(s.core.certificate(&a.actor, &id).await?))
}

/// The instance's certificate-signing public key (no authentication).
pub async fn signing_key(State(s): State<AppState>) -> Json<Value> {
    Json(s.core.signer.public_document())
}

fn paris(value: &Value) -> String {
    value
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| crate::clock::paris_fr(t.with_timezone(&chrono::Utc)))
        .unwrap_or_default()
}

/// The certificate as a printable French page, for the same people as the JSON.
pub async fn certificate_html(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use admin_ui::Template as _;
    let cert = s.core.certificate(&a.actor, &id).await?;
    let p = &cert["payload"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let page = admin_ui::CertificatePage {
        lang: admin_ui::Lang::Fr,
        mission_name: text(&p["mission"]["name"]),
        purpose: text(&p["mission"]["purpose"]),
        controller: text(&p["mission"]["controller_organisation"]["name"]),
        ends_at: paris(&p["mission"]["ends_at"]),
        closed_at: p["mission"]["closed_at"]
            .as_str()
            .map(|_| paris(&p["mission"]["closed_at"])),
        retained_until: p["mission"]["results_retained_until"]
            .as_str()
            .map(|_| paris(&p["mission"]["results_retained_until"])),
        key_destroyed_at: paris(&p["key_destroyed_at"]),
        exports_from: paris(&p["unreadable_from_key_exports_from"]),
        destroyed_at: paris(&p["destroyed_at"]),
        issued_at: paris(&p["issued_at"]),
        instance: text(&p["instance"]["name"]),
        key_id: text(&cert["key_id"]),
        signature: text(&cert["signature"]),
        files: p["files"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| admin_ui::CertificateFile {
                name: text(&f["name"]),
                folder: if f["folder"] == "deposits" {
                    "dépôts".into()
                } else {
                    "résultats".into()
                },
                size: f["size"].as_i64().unwrap_or_default(),
                uploaded_by: text(&f["uploaded_by"]["display_name"]),
                uploaded_at: paris(&f["uploaded_at"]),
                destroyed_at: paris(&f["destroyed_at"]),
                sha256: text(&f["sha256"]),
            })
            .collect(),
    };
    let html = page.render().map_err(|e| {
        crate::service::Error::Unexpected(anyhow::anyhow!("rendering the certificate: {e}"))
    })?;
    Ok(axum::response::Html(html).into_response())
}

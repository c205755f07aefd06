//! The audit API and the register of processing operations.

use super::error::{ApiResult, AppError};
use super::extract::Authed;
use super::AppState;
use crate::clock::from_millis;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET /api/v1/audit` query.
#[derive(Deserialize)]
pub struct AuditQuery {
    mission_id: Option<String>,
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    crate::service::register::MAX_PAGE
}

/// Audit events, oldest first.
pub async fn events(
    State(s): State<AppState>,
    Authed(a): Authed,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|_| {
        AppError::bad_request(
            "Paramètres de requête invalides.",
            "Invalid query parameters.",
        )
    })?;
    let rows = s
        .core
        .audit_events(&a.actor, q.mission_id.as_deref(), q.after, q.limit)
        .await?;
    let events: Vec<Value> = rows
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": from_millis(e.at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "actor": e.actor,
                "organisation_id": e.organisation_id,
                "ip": e.ip,
                "action": e.action,
                "mission_id": e.mission_id,
                "file_id": e.file_id,
                "target": e.target,
                "outcome": e.outcome,
            })
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}

/// The register of processing operations of a mission, as CSV.
pub async fn register(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let csv = s.core.register_csv(&a.actor, &id).await?;
    let mut response = csv.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"registre-des-traitements-{id}.csv\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

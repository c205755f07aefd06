//! The audit API and the register of processing operations.

// utoipa 5 expands `params(AuditQuery)` (an `IntoParams` struct) to a path that
// `unused_qualifications` finds redundant, on a span no item-level `allow` reaches.
#![allow(unused_qualifications)]

use super::error::{ApiResult, AppError};
use super::extract::Authed;
use super::views::{AuditList, ErrorBody};
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// `GET /api/v1/audit` query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Only this mission's events (required of a manager).
    mission_id: Option<String>,
    /// Only events after this sequence number.
    #[serde(default)]
    after: i64,
    /// At most this many events.
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    crate::service::register::MAX_PAGE
}

/// Audit events, oldest first.
#[utoipa::path(get, path = "/audit", tag = "accountability", security(("bearer" = [])),
    params(AuditQuery), responses(
    (status = 200, description = "Oldest first", body = AuditList),
    (status = 403, description = "`forbidden`: platform admins, and managers for their mission", body = ErrorBody),
    (status = 404, description = "`not_found`: no such mission, or one the caller may not see", body = ErrorBody),
))]
pub(crate) async fn events(
    State(s): State<AppState>,
    Authed(a): Authed,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<AuditList>> {
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
    Ok(Json(AuditList::from(rows.as_slice())))
}

/// The register of processing operations of a mission, as CSV.
#[utoipa::path(get, path = "/missions/{id}/register.csv", tag = "accountability",
    security(("bearer" = [])), params(("id" = String, Path, description = "The mission id")),
    responses(
    (status = 200, description = "UTF-8 with a BOM, `;`-separated", body = String, content_type = "text/csv"),
    (status = 403, description = "`forbidden`: platform admins and managers", body = ErrorBody),
))]
pub(crate) async fn register(
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

//! What the mission page links to for one file: its content, and the list of the cells its
//! disclosure check refused, as CSV for the analyst who fixes them.
//!
//! Both answer with the French (or English) error page, never the API's JSON: a file the caller
//! may not see is the « page introuvable », whatever the reason.

use super::{lang, PageResult, WebSession};
use crate::domain::File;
use crate::http::files::{content_disposition, content_response, parse_range};
use crate::http::AppState;
use admin_ui::Lang;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::IntoResponse;

/// `GET /fichiers/{id}/contenu`: the file's bytes, as the API's `content` gives them (range
/// included), for whoever may download it.
pub(super) async fn content(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let spec = parse_range(headers.get(header::RANGE));
    let (file, reader) = s.core.download(&session.actor, &id, spec).await?;
    Ok(content_response(&file, reader, spec))
}

/// `GET /fichiers/{id}/cases-refusees.csv`: the cells the last disclosure check of a result
/// refused, one line each, for whoever may see the file (the export is recorded); the page not
/// found for anyone else, or when there is no refused cell to list.
pub(super) async fn refused_cells(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
) -> PageResult {
    let (file, violations) = s.core.refused_cells(&session.actor, &id).await?;
    let lang = lang();
    let body =
        crate::exports::refused_cells_csv(lang, &s.core.config.checks.thresholds(), &violations);
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&export_name(lang, &file))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `cases-refusees-indicateurs.csv` for `indicateurs.xlsx`.
fn export_name(lang: Lang, file: &File) -> String {
    let stem = file
        .name
        .rsplit_once('.')
        .map_or(file.name.as_str(), |(stem, _)| stem);
    match lang {
        Lang::Fr => format!("cases-refusees-{stem}.csv"),
        Lang::En => format!("refused-cells-{stem}.csv"),
    }
}

//! The data protection officer's pages: the incident report (a form; the printable report or a
//! zip of every file) and the platform register of processing (a table and its CSV).
//!
//! Generating a report is recorded in the audit trail, so the form posts (with the CSRF token);
//! the register is read with GET and recorded too, like the API's reads of a register.

use super::{csv_response, paris_today, INVALID};
use crate::http::web::{lang, page, AdminSession, CsrfForm, PageResult};
use crate::http::AppState;
use crate::service::incident::{parse_instant, parse_instant_end, IncidentRequest, REPORT_HTML};
use crate::service::Error;
use admin_ui::{AdminIncidentPage, AdminRegisterPage, Choice, Lang};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse};

/// The values of a multi-line field: one per line (or comma), trimmed, blanks dropped.
fn lines(typed: &str) -> Vec<String> {
    typed
        .split(['\n', '\r', ','])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET /admin/incident`: the empty form.
pub(super) async fn form(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let names = s.core.journal_names(&session.actor).await?;
    let view = AdminIncidentPage {
        lang: lang(),
        csrf_token: session.csrf_token.clone(),
        missions: names
            .missions()
            .into_iter()
            .map(|(id, name)| Choice::new(id, name, ""))
            .collect(),
        ..Default::default()
    };
    Ok(page(StatusCode::OK, &view))
}

/// `POST /admin/incident`: the printable report (`format=page`) or a zip of its files
/// (`format=zip`); the form again with what to fix.
pub(super) async fn generate(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let ticked: Vec<String> = f.all("mission").map(str::to_owned).collect();
    let names = s.core.journal_names(&session.actor).await?;
    let mut view = AdminIncidentPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        from: f.value("from").trim().to_owned(),
        to: f.value("to").trim().to_owned(),
        accounts: f.value("accounts").to_owned(),
        addresses: f.value("addresses").to_owned(),
        missions: names
            .missions()
            .into_iter()
            .map(|(id, name)| {
                let mut c = Choice::new(id, name, "");
                c.selected = ticked.contains(&c.value);
                c
            })
            .collect(),
        error: None,
    };
    let (Some(from), Some(to)) = (parse_instant(&view.from), parse_instant_end(&view.to)) else {
        view.error = Some(lang.incident().err_datetime.to_owned());
        return Ok(page(INVALID, &view));
    };
    let req = IncidentRequest {
        from,
        to,
        accounts: lines(&view.accounts),
        addresses: lines(&view.addresses),
        missions: ticked,
    };
    let bundle = match s.core.incident_report(Some(&session.actor), &req).await {
        Ok(b) => b,
        Err(Error::InvalidRequest(t)) => {
            view.error = Some(match lang {
                Lang::Fr => t.fr,
                Lang::En => t.en,
            });
            return Ok(page(INVALID, &view));
        }
        Err(e) => return Err(e.into()),
    };
    if f.value("format") == "zip" {
        let mut response = bundle.zip()?.into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/zip"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!(
            "attachment; filename=\"rapport-incident-{}.zip\"",
            paris_today(&s)
        )) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    let html = bundle
        .file(REPORT_HTML)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    Ok(Html(html).into_response())
}

/// `GET /admin/registre`: the platform register of processing.
pub(super) async fn register(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let rows = s.core.platform_register_rows(&session.actor).await?;
    Ok(page(
        StatusCode::OK,
        &AdminRegisterPage {
            lang: lang(),
            csrf_token: session.csrf_token.clone(),
            rows,
        },
    ))
}

/// `GET /admin/registre.csv`: the same, as CSV.
pub(super) async fn register_csv(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let body = s.core.platform_register_csv(Some(&session.actor)).await?;
    Ok(csv_response(
        body,
        &format!("registre-des-traitements-{}.csv", paris_today(&s)),
    ))
}

#[cfg(test)]
mod tests {
    use super::lines;

    #[test]
    fn multi_line_fields_split_on_lines_and_commas() {
        assert_eq!(
            lines(" a \r\nb,c\n\n , "),
            ["a".to_owned(), "b".to_owned(), "c".to_owned()]
        );
        assert!(lines("").is_empty());
    }
}

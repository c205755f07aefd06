//! The usage charter: read and accepted once per version before any other page.

use super::{csrf_refusal, internal, lang, page, see_other, to_login, visitor, Visitor, WebForm};
use crate::http::extract::ClientIp;
use crate::http::AppState;
use admin_ui::{CharterPage, Lang};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// The charter's text in `lang`: the operator's, else the built-in one.
fn charter_text(s: &AppState, lang: Lang) -> String {
    let c = &s.core.config.charter;
    let configured = match lang {
        Lang::En => c.text_en.as_ref().or(c.text.as_ref()),
        Lang::Fr => c.text.as_ref().or(c.text_en.as_ref()),
    };
    match configured {
        Some(text) => text.clone(),
        None => lang.t().charter_default.to_owned(),
    }
}

fn charter_page(s: &AppState, csrf_token: String, error: Option<String>) -> CharterPage {
    let lang = lang();
    CharterPage {
        lang,
        csrf_token,
        version: s.core.charter_version().to_owned(),
        paragraphs: CharterPage::paragraphs_of(&charter_text(s, lang)),
        error,
    }
}

/// `GET /charte`: the charter to accept (the home page once accepted).
pub(super) async fn form(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Response {
    match visitor(&s, &headers, &ip).await {
        Ok(Visitor::CharterPending(session)) => {
            page(StatusCode::OK, &charter_page(&s, session.csrf_token, None))
        }
        Ok(Visitor::SignedIn(_)) => see_other("/accueil"),
        Ok(other) => to_login(&other),
        Err(response) => response,
    }
}

/// `POST /charte`: the acceptance, with the version read.
pub(super) async fn accept(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    WebForm(f): WebForm,
) -> Response {
    let session = match visitor(&s, &headers, &ip).await {
        Ok(Visitor::CharterPending(session)) => session,
        Ok(Visitor::SignedIn(_)) => return see_other("/accueil"),
        Ok(other) => return to_login(&other),
        Err(response) => return response,
    };
    if let Some(refused) = csrf_refusal(&f, &session) {
        return refused;
    }
    let t = lang().t();
    if f.value("accepte") != "1" {
        let error = Some(t.err_charter_unticked.to_owned());
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &charter_page(&s, session.csrf_token, error),
        );
    }
    match s
        .core
        .accept_charter(&session.actor, f.value("version"))
        .await
    {
        Ok(true) => see_other("/accueil"),
        Ok(false) => {
            let error = Some(t.err_charter_changed.to_owned());
            page(
                StatusCode::CONFLICT,
                &charter_page(&s, session.csrf_token, error),
            )
        }
        Err(e) => internal(&e),
    }
}

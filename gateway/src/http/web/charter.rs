//! The usage charter: read and accepted once per version before any other page.

use super::{check_csrf, lang, page, see_other, PageError, PageResult, Visitor, WebForm};
use crate::http::AppState;
use admin_ui::{CharterPage, Lang};
use axum::extract::State;
use axum::http::StatusCode;

/// The charter's text in `lang`: the operator's, else the built-in one.
pub(super) fn charter_text(s: &AppState, lang: Lang) -> String {
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
pub(super) async fn form(State(s): State<AppState>, visitor: Visitor) -> PageResult {
    match visitor {
        Visitor::CharterPending(session) => Ok(page(
            StatusCode::OK,
            &charter_page(&s, session.csrf_token, None),
        )),
        Visitor::SignedIn(_) => Ok(see_other("/accueil")),
        other => Err(PageError::SignIn(other.sign_in())),
    }
}

/// `POST /charte`: the acceptance, with the version read. (Already accepted: the home page,
/// whatever the form carries.)
pub(super) async fn accept(
    State(s): State<AppState>,
    visitor: Visitor,
    WebForm(f): WebForm,
) -> PageResult {
    let session = match visitor {
        Visitor::CharterPending(session) => session,
        Visitor::SignedIn(_) => return Ok(see_other("/accueil")),
        other => return Err(PageError::SignIn(other.sign_in())),
    };
    check_csrf(&f, &session)?;
    let t = lang().t();
    if f.value("accepte") != "1" {
        let error = Some(t.err_charter_unticked.to_owned());
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &charter_page(&s, session.csrf_token, error),
        ));
    }
    if s.core
        .accept_charter(&session.actor, f.value("version"))
        .await?
    {
        Ok(see_other("/accueil"))
    } else {
        let error = Some(t.err_charter_changed.to_owned());
        Ok(page(
            StatusCode::CONFLICT,
            &charter_page(&s, session.csrf_token, error),
        ))
    }
}

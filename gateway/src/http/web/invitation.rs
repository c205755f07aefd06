//! The page an invitation link opens: the password and the charter in one form (no script
//! needed), then the login flow's own authenticator enrolment and recovery codes, signed in at
//! the end. Anonymous: the form comes from our own origin (`WebForm`), the token travels in a
//! hidden field. The link dies once the password is set; an enrolment left unfinished is
//! finished by signing in with that password, like any first login.

use super::charter::charter_text;
use super::login::step_page;
use super::{lang, page, PageError, WebForm};
use crate::http::extract::ClientIp;
use crate::http::AppState;
use crate::service::invitations::INVITATION_PATH;
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{CharterPage, InvitationPage, Lang, Layout as _};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The route of the invitation page.
pub(super) fn router() -> Router<AppState> {
    Router::new().route(INVITATION_PATH, get(form).post(accept))
}

/// The page for a token: the form, or "this link is no longer valid" (`token` is `None`).
async fn invitation_page(
    s: &AppState,
    lang: Lang,
    token: &str,
) -> Result<InvitationPage, PageError> {
    let Some(invitee) = s.core.invitee(token).await? else {
        return Ok(InvitationPage {
            lang,
            path: INVITATION_PATH.to_owned(),
            ..Default::default()
        });
    };
    Ok(InvitationPage {
        lang,
        token: Some(token.to_owned()),
        path: format!("{INVITATION_PATH}?jeton={token}"),
        display_name: invitee.display_name,
        username: invitee.username,
        version: s.core.charter_version().to_owned(),
        paragraphs: CharterPage::paragraphs_of(&charter_text(s, lang)),
        ..Default::default()
    })
}

/// The page's status: 200 with the form, 410 for a dead link.
fn shown(p: &InvitationPage, ok: StatusCode) -> Response {
    page(
        if p.token.is_some() {
            ok
        } else {
            StatusCode::GONE
        },
        p,
    )
}

/// `GET /invitation?jeton=…`.
async fn form(State(s): State<AppState>, uri: Uri) -> Response {
    let query = FormFields::parse(uri.query().unwrap_or_default().as_bytes());
    match invitation_page(&s, lang(), query.value("jeton")).await {
        Ok(p) => shown(&p, StatusCode::OK),
        Err(e) => e.into_response(),
    }
}

/// `POST /invitation`: the password and the charter; then the enrolment step of the login.
async fn accept(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    WebForm(f): WebForm,
) -> Response {
    let lang = lang();
    let t = lang.t();
    let token = f.value("jeton");
    let mut form = match invitation_page(&s, lang, token).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let new_password = f.value("new_password");
    if form.token.is_some() {
        if new_password.is_empty() {
            form.password_error = Some(t.err_new_password_empty.to_owned());
        } else if new_password != f.value("confirmation") {
            form.confirm_error = Some(t.err_mismatch.to_owned());
        }
        if f.value("accepte") != "1" {
            form.charter_error = Some(t.err_charter_unticked.to_owned());
        }
        if form.has_error() {
            return page(INVALID, &form);
        }
    }
    // A dead link goes through the service too: it counts against the client.
    match s
        .core
        .accept_invitation(token, new_password, f.value("version"), &ip)
        .await
    {
        Ok(issued) => step_page(lang, issued),
        Err(Error::WeakPassword(weak)) => {
            form.password_error = Some(
                match lang {
                    Lang::Fr => weak.message_fr(),
                    Lang::En => weak.message_en(),
                }
                .to_owned(),
            );
            page(INVALID, &form)
        }
        Err(Error::Conflict(_)) => {
            form.charter_error = Some(t.err_charter_changed.to_owned());
            page(StatusCode::CONFLICT, &form)
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.password_error = Some(lang.too_many_attempts(retry_after_secs));
            let mut response = shown(&form, StatusCode::TOO_MANY_REQUESTS);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
        Err(Error::InvalidChallenge) => {
            form.token = None;
            page(StatusCode::GONE, &form)
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

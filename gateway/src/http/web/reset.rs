//! « Mot de passe oublié »: the e-mail form, then the page the e-mailed link opens, which asks
//! for the new password and the second factor. Anonymous pages: their forms come from our own
//! origin (`WebForm`), the link's token travels in a hidden field.

use super::account::second_factor;
use super::login::privacy_notice;
use super::{lang, page, PageError, WebForm};
use crate::http::extract::ClientIp;
use crate::http::AppState;
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{ForgotPasswordPage, Lang, Layout as _, LoginPage, ResetPasswordPage};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The routes of the forgotten password.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/mot-de-passe-oublie", get(forgot_form).post(forgot))
        .route(
            crate::service::password_reset::RESET_PATH,
            get(reset_form).post(reset),
        )
}

/// Adds `Retry-After` to a throttled answer.
fn retry_after(mut response: Response, secs: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// `GET /mot-de-passe-oublie`.
async fn forgot_form() -> Response {
    page(
        StatusCode::OK,
        &ForgotPasswordPage {
            lang: lang(),
            ..Default::default()
        },
    )
}

/// `POST /mot-de-passe-oublie`: the same answer whether or not the address is known.
async fn forgot(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    WebForm(f): WebForm,
) -> Response {
    let lang = lang();
    let a = lang.account();
    let email = f.value("email").trim();
    let mut form = ForgotPasswordPage {
        lang,
        email: email.to_owned(),
        ..Default::default()
    };
    if email.is_empty() {
        form.email_error = Some(a.err_email_empty.to_owned());
        return page(INVALID, &form);
    }
    match s.core.request_password_reset(email, &ip).await {
        Ok(()) => {
            form.notice = Some(a.forgot_sent.to_owned());
            form.email.clear();
            page(StatusCode::OK, &form)
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.email_error = Some(lang.too_many_attempts(retry_after_secs));
            retry_after(page(StatusCode::TOO_MANY_REQUESTS, &form), retry_after_secs)
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The reset page for a token (the form, or "this link is no longer valid").
async fn reset_page(s: &AppState, lang: Lang, token: &str) -> Result<ResetPasswordPage, PageError> {
    let live = s.core.reset_link_valid(token).await?;
    Ok(ResetPasswordPage {
        lang,
        token: live.then(|| token.to_owned()),
        path: if live {
            format!(
                "{}?jeton={token}",
                crate::service::password_reset::RESET_PATH
            )
        } else {
            crate::service::password_reset::RESET_PATH.to_owned()
        },
        ..Default::default()
    })
}

/// `GET /mot-de-passe-oublie/nouveau?jeton=…`: the page the e-mailed link opens.
async fn reset_form(State(s): State<AppState>, uri: Uri) -> Response {
    let lang = lang();
    let query = FormFields::parse(uri.query().unwrap_or_default().as_bytes());
    match reset_page(&s, lang, query.value("jeton")).await {
        Ok(p) => {
            let status = if p.token.is_some() {
                StatusCode::OK
            } else {
                StatusCode::GONE
            };
            page(status, &p)
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /mot-de-passe-oublie/nouveau`: the new password and the second factor.
async fn reset(State(s): State<AppState>, ClientIp(ip): ClientIp, WebForm(f): WebForm) -> Response {
    let lang = lang();
    let t = lang.t();
    let a = lang.account();
    let token = f.value("jeton");
    let mut form = match reset_page(&s, lang, token).await {
        Ok(p) if p.token.is_some() => p,
        Ok(p) => return page(StatusCode::GONE, &p),
        Err(e) => return e.into_response(),
    };
    let new_password = f.value("new_password");
    if new_password.is_empty() {
        form.password_error = Some(t.err_new_password_empty.to_owned());
    } else if new_password != f.value("confirmation") {
        form.confirm_error = Some(t.err_mismatch.to_owned());
    }
    let factor = second_factor(f.value("code"));
    if factor.is_none() {
        form.code_error = Some(a.err_factor_empty.to_owned());
    }
    let Some(factor) = factor.filter(|_| !form.has_error()) else {
        return page(INVALID, &form);
    };
    match s
        .core
        .reset_password(token, new_password, &factor, &ip)
        .await
    {
        Ok(()) => {
            let login = LoginPage {
                lang,
                notice: Some(a.reset_done.to_owned()),
                privacy: privacy_notice(&s, lang),
                ..Default::default()
            };
            page(StatusCode::OK, &login)
        }
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
        Err(Error::InvalidCode) => {
            form.code_error = Some(a.err_factor_wrong.to_owned());
            page(INVALID, &form)
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.code_error = Some(lang.too_many_attempts(retry_after_secs));
            retry_after(page(StatusCode::TOO_MANY_REQUESTS, &form), retry_after_secs)
        }
        Err(Error::InvalidChallenge) => {
            form.token = None;
            page(StatusCode::GONE, &form)
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

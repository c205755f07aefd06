//! The passkeys of `/compte`: add one (name and current password, then the browser creates it
//! on the next page, through `cles-acces.js`), remove one. Every form carries the session's CSRF
//! token; the service checks the password, the browser's answer, and records each change.

use super::account::{account_page, second_factor};
use super::{lang, page, see_other, CsrfForm, PageResult, WebSession};
use crate::http::AppState;
use crate::service::Error;
use admin_ui::{AccountPasskeyPage, Layout as _};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;

/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The passkey routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/compte/cles", post(start))
        .route("/compte/cles/enregistrement", post(finish))
        .route("/compte/cles/{id}/retrait", post(remove))
        .route("/compte/authentificateur/retrait", post(remove_totp))
}

/// `POST /compte/cles`: a name and the current password; then the page where the browser
/// creates the passkey.
async fn start(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let a = lang.account();
    let name = f.value("name").trim();
    let password = f.value("current_password");
    let mut form = account_page(&s, &session).await?;
    if name.is_empty() || name.chars().count() > crate::service::passkeys::NAME_MAX_CHARS {
        form.pk_name_error = Some(a.err_pk_name.to_owned());
    }
    if password.is_empty() {
        form.pk_password_error = Some(a.err_current_empty.to_owned());
    }
    if form.has_error() {
        return Ok(page(INVALID, &form));
    }
    match s
        .core
        .start_passkey_registration(&session.actor, password, name)
        .await
    {
        Ok(c) => Ok(page(
            StatusCode::OK,
            &AccountPasskeyPage {
                lang,
                csrf_token: session.csrf_token.clone(),
                ceremony: Some(c.ceremony),
                options: c.options,
                error: None,
            },
        )),
        Err(Error::InvalidCredentials) => {
            form.pk_password_error = Some(a.err_current_wrong.to_owned());
            Ok(page(INVALID, &form))
        }
        Err(Error::InvalidRequest(_)) => {
            form.pk_name_error = Some(a.err_pk_name.to_owned());
            Ok(page(INVALID, &form))
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.pk_password_error = Some(lang.too_many_attempts(retry_after_secs));
            Ok(page(StatusCode::TOO_MANY_REQUESTS, &form))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /compte/cles/enregistrement`: the browser's answer; back to the account page.
async fn finish(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let a = lang.account();
    let credential: serde_json::Value =
        serde_json::from_str(f.value("credential")).unwrap_or(serde_json::Value::Null);
    let refused = |status: StatusCode, message: &str| {
        page(
            status,
            &AccountPasskeyPage {
                lang,
                csrf_token: session.csrf_token.clone(),
                ceremony: None,
                options: String::new(),
                error: Some(message.to_owned()),
            },
        )
    };
    match s
        .core
        .finish_passkey_registration(&session.actor, f.value("ceremony"), &credential)
        .await
    {
        Ok(_) => Ok(see_other("/compte?fait=cle-ajoutee#cles-d-acces")),
        Err(Error::InvalidRequest(_)) => Ok(refused(INVALID, a.err_pk_not_verified)),
        Err(Error::Conflict(_)) => Ok(refused(StatusCode::CONFLICT, a.err_pk_none)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /compte/cles/{id}/retrait`: removes one of the person's passkeys (not the last one of
/// an account without an authenticator app).
async fn remove(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    match s.core.remove_passkey(&session.actor, &id).await {
        Ok(()) => Ok(see_other("/compte?fait=cle-retiree#cles-d-acces")),
        Err(Error::Conflict(_)) => {
            let mut form = account_page(&s, &session).await?;
            form.pk_list_error = Some(lang().account().err_pk_last.to_owned());
            Ok(page(StatusCode::CONFLICT, &form))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /compte/authentificateur/retrait`: after a code, the authenticator app is removed
/// (where passkeys replace it on this instance).
async fn remove_totp(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let a = lang.account();
    let mut form = account_page(&s, &session).await?;
    let Some(factor) = second_factor(f.value("code")) else {
        form.totp_remove_error = Some(a.err_factor_empty.to_owned());
        return Ok(page(INVALID, &form));
    };
    match s.core.remove_own_totp(&session.actor, &factor).await {
        Ok(()) => Ok(see_other("/compte?fait=application-retiree#cles-d-acces")),
        Err(Error::InvalidCode) => {
            form.totp_remove_error = Some(a.err_factor_wrong.to_owned());
            Ok(page(INVALID, &form))
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.totp_remove_error = Some(lang.too_many_attempts(retry_after_secs));
            Ok(page(StatusCode::TOO_MANY_REQUESTS, &form))
        }
        Err(e) => Err(e.into()),
    }
}

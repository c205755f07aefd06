//! `/compte`: the person's own account — password, sessions, recovery codes, a new
//! authenticator, links to the notification choices and to their missions. Every form carries
//! the session's CSRF token; the service checks the proofs and records each change.

use super::session::summary;
use super::{
    cleared, lang, page, paris, see_other, with_cookies, CsrfForm, PageError, PageResult,
    WebSession,
};
use crate::http::extract::SESSION_COOKIE;
use crate::http::AppState;
use crate::service::login::SecondFactor;
use crate::service::sessions::{Session, SessionKind};
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{
    AccountCodesPage, AccountEnrolPage, AccountPage, AccountPasskey, AccountSession, EnrollKey,
    Lang, Layout as _,
};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::{get, post};
use axum::Router;

/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The account routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/compte", get(show))
        .route("/compte/mot-de-passe", post(change_password))
        .route("/compte/sessions/{id}/fin", post(end_session))
        .route("/compte/codes-de-secours", post(regenerate_codes))
        .route("/compte/authentificateur", post(start_enrolment))
        .route(
            "/compte/authentificateur/confirmation",
            post(confirm_enrolment),
        )
}

/// A typed code: six digits (spaces allowed) are an app's code, anything else a recovery code.
pub(crate) fn second_factor(typed: &str) -> Option<SecondFactor> {
    let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        None
    } else if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        Some(SecondFactor::Code(compact))
    } else {
        Some(SecondFactor::RecoveryCode(compact))
    }
}

/// The account page as it stands, without notice or errors.
pub(super) async fn account_page(
    s: &AppState,
    session: &Session,
) -> Result<AccountPage, PageError> {
    let lang = lang();
    let (user, org) = s.core.me(&session.actor).await?;
    let sessions = s.core.my_sessions(session).await?;
    let codes_left = s.core.recovery_codes_left(&session.actor).await?;
    let missions = s.core.list_missions(&session.actor).await?;
    let passkeys = s.core.my_passkeys(&session.actor).await?;
    let totp_removable = s.core.totp_removable(&session.actor).await?;
    let now_ms = s.core.clock.now().timestamp_millis();
    let a = lang.account();
    Ok(AccountPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        display_name: user.display_name,
        username: user.username,
        email: user.email,
        organisation: org.name,
        sessions: sessions
            .iter()
            .map(|x| AccountSession {
                id: x.id.clone(),
                device: lang.device(x.user_agent.as_deref(), x.kind == SessionKind::Bearer),
                address: x.ip.clone().unwrap_or_else(|| a.unknown_address.to_owned()),
                opened: paris(lang, x.created_at.timestamp_millis()),
                last_use: paris(lang, x.last_seen_at.timestamp_millis()),
                current: x.current,
            })
            .collect(),
        codes_left,
        passkeys: passkeys
            .iter()
            .map(|k| AccountPasskey {
                id: k.id.clone(),
                name: k.name.clone(),
                added: paris(lang, k.created_at.timestamp_millis()),
                last_used: k.last_used_at.map(|t| paris(lang, t.timestamp_millis())),
            })
            .collect(),
        totp_removable,
        missions: missions
            .iter()
            .filter(|m| !m.my_roles.is_empty())
            .map(|m| summary(lang, now_ms, &m.mission, &m.my_roles))
            .collect(),
        ..Default::default()
    })
}

/// `GET /compte`: the page, with the confirmation of the last action (`?fait=`).
async fn show(State(s): State<AppState>, WebSession(session): WebSession, uri: Uri) -> PageResult {
    let lang = lang();
    let mut account = account_page(&s, &session).await?;
    let query = uri
        .query()
        .map(|q| FormFields::parse(q.as_bytes()))
        .unwrap_or_else(|| FormFields::parse(b""));
    account.notice = match query.value("fait") {
        "mot-de-passe" => Some(lang.password_changed(query.value("fermees").parse().unwrap_or(0))),
        "session" => Some(lang.account().session_ended.to_owned()),
        "cle-ajoutee" => Some(lang.account().pk_added.to_owned()),
        "cle-retiree" => Some(lang.account().pk_removed.to_owned()),
        "application-retiree" => Some(lang.account().pk_totp_removed.to_owned()),
        _ => None,
    };
    Ok(page(StatusCode::OK, &account))
}

/// `POST /compte/mot-de-passe`: current password, new password and its confirmation.
async fn change_password(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let t = lang.t();
    let a = lang.account();
    let current = f.value("current_password");
    let new_password = f.value("new_password");
    let mut form = account_page(&s, &session).await?;
    if current.is_empty() {
        form.current_error = Some(a.err_current_empty.to_owned());
    }
    if new_password.is_empty() {
        form.password_error = Some(t.err_new_password_empty.to_owned());
    } else if new_password != f.value("confirmation") {
        form.confirm_error = Some(t.err_mismatch.to_owned());
    }
    if form.has_error() {
        return Ok(page(INVALID, &form));
    }
    match s
        .core
        .change_own_password(&session, current, new_password)
        .await
    {
        Ok(ended) => Ok(see_other(&format!(
            "/compte?fait=mot-de-passe&fermees={ended}"
        ))),
        Err(Error::InvalidCredentials) => {
            form.current_error = Some(a.err_current_wrong.to_owned());
            Ok(page(INVALID, &form))
        }
        Err(Error::WeakPassword(weak)) => {
            form.password_error = Some(
                match lang {
                    Lang::Fr => weak.message_fr(),
                    Lang::En => weak.message_en(),
                }
                .to_owned(),
            );
            Ok(page(INVALID, &form))
        }
        Err(Error::SamePassword) => {
            form.password_error = Some(t.err_same_password.to_owned());
            Ok(page(INVALID, &form))
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.current_error = Some(lang.too_many_attempts(retry_after_secs));
            Ok(page(StatusCode::TOO_MANY_REQUESTS, &form))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /compte/sessions/{id}/fin`: ends one of the person's sessions; ending this one signs out.
async fn end_session(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    let own = s
        .core
        .my_sessions(&session)
        .await?
        .iter()
        .any(|x| x.current && x.id == id);
    s.core.end_my_session(&session, &id).await?;
    if own {
        return Ok(with_cookies(
            see_other("/deconnecte"),
            &[cleared(SESSION_COOKIE)],
        ));
    }
    Ok(see_other("/compte?fait=session#sessions"))
}

/// Which of the two second-factor forms of the page was sent.
#[derive(Clone, Copy)]
enum FactorForm {
    Codes,
    Totp,
}

/// The account page again with `message` on the form that was sent.
async fn factor_error(
    s: &AppState,
    session: &Session,
    which: FactorForm,
    status: StatusCode,
    message: String,
) -> PageResult {
    let mut form = account_page(s, session).await?;
    match which {
        FactorForm::Codes => form.codes_error = Some(message),
        FactorForm::Totp => form.totp_error = Some(message),
    }
    Ok(page(status, &form))
}

/// The refusal of a second factor, on its form.
async fn refused_factor(
    s: &AppState,
    session: &Session,
    which: FactorForm,
    e: Error,
) -> PageResult {
    let lang = lang();
    match e {
        Error::InvalidCode => {
            let m = lang.account().err_factor_wrong.to_owned();
            factor_error(s, session, which, INVALID, m).await
        }
        Error::TooManyAttempts { retry_after_secs } => {
            let m = lang.too_many_attempts(retry_after_secs);
            factor_error(s, session, which, StatusCode::TOO_MANY_REQUESTS, m).await
        }
        e => Err(e.into()),
    }
}

/// `POST /compte/codes-de-secours`: new recovery codes after a code; shown once.
async fn regenerate_codes(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let Some(factor) = second_factor(f.value("code")) else {
        let m = lang.account().err_factor_empty.to_owned();
        return factor_error(&s, &session, FactorForm::Codes, INVALID, m).await;
    };
    match s
        .core
        .regenerate_recovery_codes(&session.actor, &factor)
        .await
    {
        Ok(codes) => Ok(page(
            StatusCode::OK,
            &AccountCodesPage {
                lang,
                csrf_token: session.csrf_token.clone(),
                codes,
            },
        )),
        Err(e) => refused_factor(&s, &session, FactorForm::Codes, e).await,
    }
}

/// `POST /compte/authentificateur`: after a code, the new key to scan.
async fn start_enrolment(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let Some(factor) = second_factor(f.value("code")) else {
        let m = lang.account().err_factor_empty.to_owned();
        return factor_error(&s, &session, FactorForm::Totp, INVALID, m).await;
    };
    match s.core.start_reenrolment(&session.actor, &factor).await {
        Ok(e) => Ok(page(
            StatusCode::OK,
            &AccountEnrolPage {
                lang,
                csrf_token: session.csrf_token.clone(),
                key: Some(EnrollKey {
                    secret_base32: e.secret_base32,
                    otpauth_uri: e.otpauth_uri,
                }),
                code_error: None,
            },
        )),
        Err(e) => refused_factor(&s, &session, FactorForm::Totp, e).await,
    }
}

/// `POST /compte/authentificateur/confirmation`: the new app's code; then the new recovery codes.
async fn confirm_enrolment(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let t = lang.t();
    let code: String = f
        .value("code")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let again = |status: StatusCode, message: String| {
        let s = s.clone();
        let session = session.clone();
        async move {
            let key = s
                .core
                .pending_reenrolment(&session.actor)
                .await?
                .map(|e| EnrollKey {
                    secret_base32: e.secret_base32,
                    otpauth_uri: e.otpauth_uri,
                });
            let status = if key.is_none() {
                StatusCode::CONFLICT
            } else {
                status
            };
            Ok::<_, PageError>(page(
                status,
                &AccountEnrolPage {
                    lang,
                    csrf_token: session.csrf_token.clone(),
                    key,
                    code_error: Some(message),
                },
            ))
        }
    };
    if code.is_empty() {
        return again(INVALID, t.err_code_empty.to_owned()).await;
    }
    match s.core.confirm_reenrolment(&session.actor, &code).await {
        Ok(codes) => Ok(page(
            StatusCode::OK,
            &AccountCodesPage {
                lang,
                csrf_token: session.csrf_token.clone(),
                codes,
            },
        )),
        Err(Error::InvalidCode) => again(INVALID, t.err_code.to_owned()).await,
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            again(
                StatusCode::TOO_MANY_REQUESTS,
                lang.too_many_attempts(retry_after_secs),
            )
            .await
        }
        Err(Error::Conflict(_)) => {
            again(StatusCode::CONFLICT, lang.account().enrol_none.to_owned()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_an_app_code_anything_else_a_recovery_code() {
        assert!(matches!(second_factor("123 456"), Some(SecondFactor::Code(c)) if c == "123456"));
        assert!(matches!(
            second_factor("abcd-efgh-ijkl-mnop"),
            Some(SecondFactor::RecoveryCode(_))
        ));
        assert!(second_factor("  ").is_none());
    }
}

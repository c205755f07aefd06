//! The login pages: password, password change, TOTP enrollment or code, recovery codes.
//!
//! Each successful step answers the next step's page directly and puts the new challenge in the
//! `__Host-passerelle-login` cookie; `GET /connexion/etape` shows the pending step again (the
//! language switch returns there), the enrollment key included while its challenge is pending.

use super::{
    cleared, host_cookie, lang, page, see_other, with_cookies, PageError, Visitor, WebForm,
    LOGIN_COOKIE,
};
use crate::http::extract::{cookie, ClientIp, SESSION_COOKIE};
use crate::http::AppState;
use crate::service::login::{Issued, LoggedIn, SecondFactor, Step};
use crate::service::sessions::SessionKind;
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{
    ChangePasswordPage, EnrollKey, EnrollPage, Lang, Layout as _, LoginPage, PrivacyNotice,
    RecoveryCodesPage, TotpPage,
};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A login challenge lives five minutes; so does its cookie.
const LOGIN_COOKIE_SECS: u32 = 300;
/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// Adds `Retry-After` to a throttled answer.
fn retry_after(mut response: Response, secs: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// `GET /connexion`: the login form (or the home page for a signed-in visitor).
pub(super) async fn form(State(s): State<AppState>, visitor: Visitor, uri: Uri) -> Response {
    let lang = lang();
    let expired_query = uri
        .query()
        .map(|q| FormFields::parse(q.as_bytes()).value("expire") == "1")
        .unwrap_or(false);
    let (expired_cookie, cookies) = match visitor {
        Visitor::SignedIn(_) => return see_other("/accueil"),
        Visitor::CharterPending(_) => return see_other("/charte"),
        Visitor::Expired => (true, vec![cleared(SESSION_COOKIE)]),
        Visitor::Anonymous => (false, Vec::new()),
    };
    let notice = (expired_query || expired_cookie).then(|| lang.t().session_expired.to_owned());
    let login = LoginPage {
        lang,
        notice,
        privacy: privacy_notice(&s, lang),
        ..Default::default()
    };
    with_cookies(page(StatusCode::OK, &login), &cookies)
}

/// The data-protection notice: the operator's texts, the built-in ones for what is unset.
pub(super) fn privacy_notice(s: &AppState, lang: Lang) -> PrivacyNotice {
    let set = &s.core.config.privacy_notice;
    let mut notice = PrivacyNotice::built_in(lang, s.core.config.audit_retention_days);
    for (configured, shown) in [
        (&set.controller, &mut notice.controller),
        (&set.purpose, &mut notice.purpose),
        (&set.retention, &mut notice.retention),
        (&set.dpo_contact, &mut notice.dpo_contact),
        (&set.rights, &mut notice.rights),
    ] {
        if let Some(text) = configured
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            text.clone_into(shown);
        }
    }
    notice
}

/// The page of a login step.
fn step_response(lang: Lang, step: Step) -> Response {
    match step {
        Step::ChangePassword => page(
            StatusCode::OK,
            &ChangePasswordPage {
                lang,
                ..Default::default()
            },
        ),
        Step::EnrollTotp {
            otpauth_uri,
            secret_base32,
        } => page(
            StatusCode::OK,
            &EnrollPage {
                lang,
                key: Some(EnrollKey {
                    secret_base32,
                    otpauth_uri,
                }),
                code_error: None,
            },
        ),
        Step::Totp { passkey_options } => page(
            StatusCode::OK,
            &TotpPage {
                lang,
                passkey_options,
                ..Default::default()
            },
        ),
    }
}

/// The page of the next login step, with its challenge in the login cookie.
pub(super) fn step_page(lang: Lang, issued: Issued) -> Response {
    with_cookies(
        step_response(lang, issued.step),
        &[host_cookie(
            LOGIN_COOKIE,
            &issued.challenge,
            Some(LOGIN_COOKIE_SECS),
        )],
    )
}

/// `GET /connexion/etape`: the pending login step again (where the language switch of a step
/// returns); the login form when there is none.
pub(super) async fn current_step(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang();
    let Some(challenge) = cookie(&headers, LOGIN_COOKIE).filter(|c| !c.is_empty()) else {
        return see_other("/connexion");
    };
    match s.core.login_step(challenge).await {
        Ok(step) => step_response(lang, step),
        Err(Error::InvalidChallenge) => step_expired(&s, lang),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// What a pending challenge shows again with a wrong code's error: the enrollment key, or the
/// passkey options of the code step (nothing once the step is over).
#[derive(Default)]
struct Pending {
    key: Option<EnrollKey>,
    passkey_options: Option<String>,
}

async fn pending(s: &AppState, challenge: &str) -> Pending {
    match s.core.login_step(challenge).await {
        Ok(Step::EnrollTotp {
            otpauth_uri,
            secret_base32,
        }) => Pending {
            key: Some(EnrollKey {
                secret_base32,
                otpauth_uri,
            }),
            passkey_options: None,
        },
        Ok(Step::Totp { passkey_options }) => Pending {
            key: None,
            passkey_options,
        },
        _ => Pending::default(),
    }
}

/// The login form again, after a step whose challenge expired, was used or is missing.
fn step_expired(s: &AppState, lang: Lang) -> Response {
    let login = LoginPage {
        lang,
        notice: Some(lang.t().err_step_expired.to_owned()),
        privacy: privacy_notice(s, lang),
        ..Default::default()
    };
    with_cookies(page(INVALID, &login), &[cleared(LOGIN_COOKIE)])
}

/// `POST /connexion`: step 1, the password.
pub(super) async fn password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    WebForm(f): WebForm,
) -> Response {
    let lang = lang();
    let t = lang.t();
    let username = f.value("username").trim();
    let password = f.value("password");
    let mut login = LoginPage {
        lang,
        username: username.to_owned(),
        privacy: privacy_notice(&s, lang),
        ..Default::default()
    };
    if username.is_empty() {
        login.username_error = Some(t.err_username_empty.to_owned());
    }
    if password.is_empty() {
        login.password_error = Some(t.err_password_empty.to_owned());
    }
    if login.has_error() {
        return page(INVALID, &login);
    }
    match s.core.login_password(username, password, &ip).await {
        Ok(issued) => step_page(lang, issued),
        Err(Error::InvalidCredentials) => {
            login.password_error = Some(t.err_credentials.to_owned());
            page(INVALID, &login)
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            login.password_error = Some(lang.too_many_attempts(retry_after_secs));
            retry_after(
                page(StatusCode::TOO_MANY_REQUESTS, &login),
                retry_after_secs,
            )
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /connexion/mot-de-passe`: step 2, the new password and its confirmation.
pub(super) async fn change_password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    WebForm(f): WebForm,
) -> Response {
    let lang = lang();
    let t = lang.t();
    let Some(challenge) = cookie(&headers, LOGIN_COOKIE).filter(|c| !c.is_empty()) else {
        return step_expired(&s, lang);
    };
    let new_password = f.value("new_password");
    let confirmation = f.value("confirmation");
    let mut form = ChangePasswordPage {
        lang,
        ..Default::default()
    };
    if new_password.is_empty() {
        form.password_error = Some(t.err_new_password_empty.to_owned());
    } else if new_password != confirmation {
        form.confirm_error = Some(t.err_mismatch.to_owned());
    }
    if form.has_error() {
        return page(INVALID, &form);
    }
    match s
        .core
        .login_change_password(challenge, new_password, &ip)
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
        Err(Error::SamePassword) => {
            form.password_error = Some(t.err_same_password.to_owned());
            page(INVALID, &form)
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            form.password_error = Some(lang.too_many_attempts(retry_after_secs));
            retry_after(page(StatusCode::TOO_MANY_REQUESTS, &form), retry_after_secs)
        }
        Err(Error::InvalidChallenge) => step_expired(&s, lang),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Which form of the second factor was sent, to show it again with its error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeForm {
    /// The enrollment page's code.
    Enroll,
    /// The TOTP code of a later login.
    Totp,
    /// A recovery code.
    Recovery,
    /// A passkey.
    Passkey,
}

/// The second-factor form again, with `message` tied to the field that was used (and, on the
/// enrollment page, the key while the step is still pending).
fn code_form(
    lang: Lang,
    which: CodeForm,
    status: StatusCode,
    message: String,
    pending: Pending,
) -> Response {
    let mut totp = TotpPage {
        lang,
        passkey_options: pending.passkey_options,
        ..Default::default()
    };
    match which {
        CodeForm::Enroll => {
            return page(
                status,
                &EnrollPage {
                    lang,
                    key: pending.key,
                    code_error: Some(message),
                },
            )
        }
        CodeForm::Totp => totp.code_error = Some(message),
        CodeForm::Recovery => totp.recovery_error = Some(message),
        CodeForm::Passkey => totp.passkey_error = Some(message),
    }
    page(status, &totp)
}

/// `POST /connexion/code`: step 3, a TOTP code (enrollment or later login) or a recovery code.
pub(super) async fn second_factor(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    WebForm(f): WebForm,
) -> Response {
    let lang = lang();
    let t = lang.t();
    let Some(challenge) = cookie(&headers, LOGIN_COOKIE).filter(|c| !c.is_empty()) else {
        return step_expired(&s, lang);
    };
    // The hidden `etape` field only chooses which page shows an error; the service decides
    // what the challenge accepts.
    let which = if f.get("recovery_code").is_some() {
        CodeForm::Recovery
    } else if f.value("etape") == "enrolement" {
        CodeForm::Enroll
    } else {
        CodeForm::Totp
    };
    let factor = if which == CodeForm::Recovery {
        let code = f.value("recovery_code").trim();
        if code.is_empty() {
            let p = pending(&s, challenge).await;
            return code_form(lang, which, INVALID, t.err_recovery_empty.to_owned(), p);
        }
        SecondFactor::RecoveryCode(code.to_owned())
    } else {
        // People type "123 456" as they read it.
        let code: String = f
            .value("code")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if code.is_empty() {
            let p = pending(&s, challenge).await;
            return code_form(lang, which, INVALID, t.err_code_empty.to_owned(), p);
        }
        SecondFactor::Code(code)
    };
    answer(&s, lang, challenge, which, &factor, &ip, &headers).await
}

/// `POST /connexion/cle`: step 3 with a passkey (its answer in `credential`, written by
/// `cles-acces.js`).
pub(super) async fn passkey(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    WebForm(f): WebForm,
) -> Response {
    let lang = lang();
    let Some(challenge) = cookie(&headers, LOGIN_COOKIE).filter(|c| !c.is_empty()) else {
        return step_expired(&s, lang);
    };
    // Anything unreadable is refused by the service like a wrong answer.
    let credential = serde_json::from_str(f.value("credential")).unwrap_or(serde_json::Value::Null);
    let factor = SecondFactor::Passkey(credential);
    answer(
        &s,
        lang,
        challenge,
        CodeForm::Passkey,
        &factor,
        &ip,
        &headers,
    )
    .await
}

/// The second factor checked: signed in, or the form again with the reason.
async fn answer(
    s: &AppState,
    lang: Lang,
    challenge: &str,
    which: CodeForm,
    factor: &SecondFactor,
    ip: &str,
    headers: &HeaderMap,
) -> Response {
    let t = lang.t();
    let wrong = match which {
        CodeForm::Passkey => lang.account().err_pk_refused,
        _ => t.err_code,
    };
    match s
        .core
        .login_second_factor(
            challenge,
            factor,
            ip,
            SessionKind::Cookie,
            crate::http::extract::user_agent(headers),
        )
        .await
    {
        Ok(done) => signed_in(lang, done),
        Err(Error::InvalidCode) => {
            // After too many wrong codes the challenge is used up: no key any more.
            let p = pending(s, challenge).await;
            code_form(lang, which, INVALID, wrong.to_owned(), p)
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            let p = pending(s, challenge).await;
            retry_after(
                code_form(
                    lang,
                    which,
                    StatusCode::TOO_MANY_REQUESTS,
                    lang.too_many_attempts(retry_after_secs),
                    p,
                ),
                retry_after_secs,
            )
        }
        Err(Error::InvalidChallenge) => step_expired(s, lang),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The login is complete: the session cookie replaces the login cookie; right after enrollment
/// the recovery codes are shown (once), else the home page follows.
fn signed_in(lang: Lang, done: LoggedIn) -> Response {
    let cookies = [
        cleared(LOGIN_COOKIE),
        // No Max-Age: the cookie ends with the browser; the server enforces idle and absolute limits.
        host_cookie(SESSION_COOKIE, &done.session.token, None),
    ];
    let response = match done.recovery_codes {
        Some(codes) => page(
            StatusCode::OK,
            &RecoveryCodesPage {
                lang,
                codes,
                csrf_token: done.session.csrf_token,
            },
        ),
        None => see_other("/accueil"),
    };
    with_cookies(response, &cookies)
}

//! How a page checks its caller: extractors whose rejection is a [`PageError`].
//!
//! - [`Visitor`]: who is asking, according to the session cookie (pages open to everyone);
//! - [`WebSession`]: a signed-in user past the login steps and the charter, with the session's
//!   CSRF token (every signed-in page);
//! - [`AdminSession`]: the same, a platform administrator (the others get the 404 page);
//! - [`WebForm`]: a posted urlencoded form from our own origin (the login steps, the language);
//! - [`CsrfForm`]: such a form, carrying the session's CSRF token, checked before the handler runs.
//!
//! A state change is refused when another site sent it, before anything else is looked at.
//! The multipart upload carries its token too, but in a part before the file: it is checked
//! while the body streams (`receive_upload`), so that the file is never buffered.

use super::error::{PageError, SignIn};
use super::lang;
use crate::http::extract::{cookie, same_token, ClientIp, SESSION_COOKIE};
use crate::http::AppState;
use crate::service::sessions::{Session, SessionKind};
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::Lang;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, Uri};

/// Who is asking, according to the session cookie.
#[derive(Debug, Clone)]
pub(crate) enum Visitor {
    /// No session cookie.
    Anonymous,
    /// A session cookie whose session has ended (idle, absolute limit, logout, disabled account).
    Expired,
    /// A live web session.
    SignedIn(Session),
    /// A live web session whose user has yet to accept the usage charter in force: every page
    /// but the charter (and logout) sends it there.
    CharterPending(Session),
}

impl Visitor {
    /// The session, charter accepted or not.
    pub(crate) fn session(&self) -> Option<&Session> {
        match self {
            Self::SignedIn(s) | Self::CharterPending(s) => Some(s),
            Self::Anonymous | Self::Expired => None,
        }
    }

    /// Where a page that needs a signed-in user sends this visitor.
    pub(crate) fn sign_in(&self) -> SignIn {
        match self {
            Self::Expired => SignIn::Expired,
            Self::CharterPending(_) => SignIn::CharterPending,
            Self::Anonymous | Self::SignedIn(_) => SignIn::Anonymous,
        }
    }

    async fn resolve(state: &AppState, headers: &HeaderMap, ip: &str) -> Result<Self, PageError> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Ok(Self::Anonymous);
        };
        match state.core.authenticate(token, ip).await {
            Ok(session) if session.kind == SessionKind::Cookie => {
                if state.core.charter_pending(&session.actor).await? {
                    Ok(Self::CharterPending(session))
                } else {
                    Ok(Self::SignedIn(session))
                }
            }
            // A bearer token is not a web session, even when someone puts it in the cookie.
            Ok(_) | Err(Error::Unauthenticated) => Ok(Self::Expired),
            Err(e) => Err(e.into()),
        }
    }
}

/// Resolves the visitor once per request; the form extractor finds it in the extensions.
impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(known) = parts.extensions.get::<Visitor>() {
            return Ok(known.clone());
        }
        let ClientIp(ip) = match ClientIp::from_request_parts(parts, state).await {
            Ok(ip) => ip,
            Err(never) => match never {},
        };
        let visitor = Self::resolve(state, &parts.headers, &ip).await?;
        parts.extensions.insert(visitor.clone());
        Ok(visitor)
    }
}

/// A signed-in user past the login steps and the charter, with the session (and its CSRF
/// token). Anyone else is sent to the login page (or the charter). For a state change, a
/// request sent by another site is refused first.
#[derive(Debug, Clone)]
pub(crate) struct WebSession(pub(crate) Session);

impl FromRequestParts<AppState> for WebSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !is_safe(&parts.method) && cross_site(&parts.headers, &parts.uri) {
            return Err(PageError::CrossSite);
        }
        match Visitor::from_request_parts(parts, state).await? {
            Visitor::SignedIn(session) => Ok(WebSession(session)),
            other => Err(PageError::SignIn(other.sign_in())),
        }
    }
}

/// A signed-in platform administrator. A visitor without a session goes to the login page; a
/// signed-in user without the flag gets the 404 page, as the API answers 404 for what a caller
/// may not see.
#[derive(Debug, Clone)]
pub(crate) struct AdminSession(pub(crate) Session);

impl FromRequestParts<AppState> for AdminSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let WebSession(session) = WebSession::from_request_parts(parts, state).await?;
        if session.actor.platform_admin {
            Ok(AdminSession(session))
        } else {
            Err(PageError::NotFound)
        }
    }
}

/// A posted urlencoded form, from our own origin only.
#[derive(Debug)]
pub(crate) struct WebForm(pub(crate) FormFields);

impl<S: Send + Sync> FromRequest<S> for WebForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if cross_site(req.headers(), req.uri()) {
            return Err(PageError::CrossSite);
        }
        match Bytes::from_request(req, state).await {
            Ok(body) => Ok(WebForm(FormFields::parse(&body))),
            Err(rejection) => {
                let message = match lang() {
                    Lang::Fr => "Le formulaire envoyé n'a pas pu être lu.",
                    Lang::En => "The form sent could not be read.",
                };
                Err(PageError::Refused(rejection.status(), message.to_owned()))
            }
        }
    }
}

/// What a [`CsrfForm`] reads from the posted fields.
pub(crate) trait FromFields: Sized {
    /// The typed form, or the page refusing what was sent.
    fn from_fields(fields: FormFields) -> Result<Self, PageError>;
}

impl FromFields for FormFields {
    fn from_fields(fields: FormFields) -> Result<Self, PageError> {
        Ok(fields)
    }
}

/// A posted form of a signed-in page: from our own origin, carrying the session's CSRF token in
/// its `csrf_token` field. The session is the one a [`WebSession`], [`AdminSession`] or
/// [`Visitor`] extractor before it resolved; without a session, the visitor goes to the login.
#[derive(Debug)]
pub(crate) struct CsrfForm<T = FormFields>(pub(crate) T);

impl<T: FromFields, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = req.extensions().get::<Visitor>().cloned();
        let WebForm(fields) = WebForm::from_request(req, state).await?;
        let visitor = visitor.ok_or_else(|| {
            PageError::unexpected("a CsrfForm was extracted without a session extractor before it")
        })?;
        let Some(session) = visitor.session() else {
            return Err(PageError::SignIn(visitor.sign_in()));
        };
        check_csrf(&fields, session)?;
        Ok(CsrfForm(T::from_fields(fields)?))
    }
}

/// Refuses a posted form that does not carry the session's CSRF token.
pub(crate) fn check_csrf(form: &FormFields, session: &Session) -> Result<(), PageError> {
    if same_token(form.value("csrf_token"), &session.csrf_token) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when another site sent the request: an `Origin` other than ours, or a browser saying so.
pub(crate) fn cross_site(headers: &HeaderMap, uri: &Uri) -> bool {
    // Browsers set `Sec-Fetch-Site` themselves (no script can): when present it decides. It
    // matters because with our `Referrer-Policy: no-referrer` Chromium sends `Origin: null` even
    // for a form on our own page.
    match headers.get("sec-fetch-site").map(|v| v.to_str()) {
        Some(Ok("same-origin")) => return false,
        Some(_) => return true,
        None => {}
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(uri.authority().map(|a| a.as_str()));
    match host {
        Some(host) => origin.strip_prefix("https://") != Some(host),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let uri: Uri = "/connexion".parse().unwrap();
        let host = ("host", "passerelle.example:8443");
        assert!(!cross_site(&headers(&[host]), &uri));
        assert!(!cross_site(
            &headers(&[host, ("origin", "https://passerelle.example:8443")]),
            &uri
        ));
        assert!(cross_site(
            &headers(&[host, ("origin", "https://evil.example")]),
            &uri
        ));
        assert!(cross_site(
            &headers(&[host, ("origin", "http://passerelle.example:8443")]),
            &uri
        ));
        assert!(cross_site(&headers(&[host, ("origin", "null")]), &uri));
        assert!(!cross_site(
            &headers(&[host, ("origin", "null"), ("sec-fetch-site", "same-origin")]),
            &uri
        ));
        assert!(cross_site(
            &headers(&[
                host,
                ("origin", "https://passerelle.example:8443"),
                ("sec-fetch-site", "none")
            ]),
            &uri
        ));
        assert!(cross_site(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            &uri
        ));
        assert!(!cross_site(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            &uri
        ));
        let h2: Uri = "https://passerelle.example/connexion".parse().unwrap();
        assert!(!cross_site(
            &headers(&[("origin", "https://passerelle.example")]),
            &h2
        ));
    }

    fn session(csrf: &str) -> Session {
        Session {
            actor: crate::service::Actor {
                user_id: "u1".to_owned(),
                username: "marie".to_owned(),
                organisation_id: "o1".to_owned(),
                platform_admin: false,
                ip: "127.0.0.1".to_owned(),
            },
            kind: SessionKind::Cookie,
            csrf_token: csrf.to_owned(),
            id_hash: String::new(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
            idle_deadline: chrono::DateTime::UNIX_EPOCH,
        }
    }

    async fn csrf_form(visitor: Option<Visitor>, body: &'static str) -> Result<FormFields, String> {
        let mut req = Request::post("/x")
            .header("sec-fetch-site", "same-origin")
            .body(axum::body::Body::from(body))
            .unwrap();
        if let Some(v) = visitor {
            req.extensions_mut().insert(v);
        }
        CsrfForm::<FormFields>::from_request(req, &())
            .await
            .map(|CsrfForm(f)| f)
            .map_err(|e| format!("{e:?}"))
    }

    #[tokio::test]
    async fn a_csrf_form_checks_the_token_of_the_session() {
        let signed_in = || Some(Visitor::SignedIn(session("jeton")));
        let ok = csrf_form(signed_in(), "csrf_token=jeton&name=a")
            .await
            .unwrap();
        assert_eq!(ok.value("name"), "a");
        assert_eq!(
            csrf_form(signed_in(), "csrf_token=faux").await.unwrap_err(),
            "Csrf"
        );
        assert_eq!(csrf_form(signed_in(), "name=a").await.unwrap_err(), "Csrf");
        assert_eq!(
            csrf_form(Some(Visitor::Expired), "csrf_token=")
                .await
                .unwrap_err(),
            "SignIn(Expired)"
        );
        assert!(csrf_form(None, "csrf_token=jeton")
            .await
            .unwrap_err()
            .starts_with("Unexpected"));
    }
}

//! The web interface's routes (server-rendered pages with cookie sessions).
//!
//! Pages come from the `admin-ui` crate; this module only translates between HTTP and the
//! services. Every POST refuses a request sent by another site (`Origin` or `Sec-Fetch-Site`),
//! the login challenge travels in its own `__Host-` cookie (never in a form field), and the
//! signed-in pages carry the session's CSRF token, checked on every state change.

mod admin;
mod charter;
mod login;
mod mission;
mod session;

use super::error::current_lang;
use super::extract::{cookie, same_token, SESSION_COOKIE};
use super::AppState;
use crate::service::sessions::{Session, SessionKind};
use crate::service::{self, Error};
use admin_ui::form::FormFields;
use admin_ui::{ErrorPage, Lang, Template};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// The cookie holding the pending login challenge between the steps of the login.
pub const LOGIN_COOKIE: &str = "__Host-passerelle-login";
/// The language cookie read by the language negotiation.
const LANG_COOKIE: &str = "lang";
/// Forms are small: a few short fields.
const FORM_LIMIT: usize = 16 * 1024;

/// The web routes, merged into the main router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::root))
        .route("/connexion", get(login::form).post(login::password))
        .route("/connexion/mot-de-passe", post(login::change_password))
        .route("/connexion/code", post(login::second_factor))
        .route("/accueil", get(session::home))
        .route("/charte", get(charter::form).post(charter::accept))
        .route("/missions/{id}", get(mission::show))
        // Uploads stream into the store; their limit is enforced while reading, by the service.
        .route(
            "/missions/{id}/depots",
            post(mission::upload_deposit).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/missions/{id}/resultats",
            post(mission::upload_result).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/missions/{id}/participants",
            post(mission::add_participant),
        )
        .route(
            "/missions/{id}/participants/{user_id}/retrait",
            post(mission::remove_participant),
        )
        .route("/fichiers/{id}/diffusion", post(mission::release))
        .route("/fichiers/{id}/confirmation", post(mission::confirm))
        .route("/fichiers/{id}/suppression", post(mission::delete))
        .route("/session/etat", get(session::status))
        .route("/session/prolonger", get(session::extend))
        .route("/deconnexion", post(session::logout))
        .route("/deconnecte", get(session::signed_out))
        .route("/langue", post(session::language))
        .route("/static/{file}", get(asset))
        .merge(admin::router())
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
}

/// The language of the current request, for the pages.
fn lang() -> Lang {
    match current_lang() {
        service::Lang::Fr => Lang::Fr,
        service::Lang::En => Lang::En,
    }
}

/// A rendered page with its status; a template failure becomes the generic 500 page.
fn page<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            internal_page()
        }
    }
}

/// The "page not found" page, for paths nothing serves.
pub(super) fn not_found_page() -> Response {
    page(StatusCode::NOT_FOUND, &ErrorPage::not_found(lang()))
}

/// The generic 500 page.
fn internal_page() -> Response {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    match ErrorPage::internal(lang()).render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Html(admin_ui::FALLBACK_ERROR_HTML)).into_response(),
    }
}

/// An unexpected failure: the detail goes to the log, the person sees the generic page.
fn internal(e: &Error) -> Response {
    tracing::error!(error = ?e, "web request failed");
    internal_page()
}

/// `303 See Other` to a local path.
fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => internal(&Error::Unexpected(anyhow::anyhow!(
            "a redirection target was not a valid header"
        ))),
    }
}

/// The refusal of a posted form that does not carry the session's CSRF token.
fn csrf_refusal(form: &FormFields, session: &Session) -> Option<Response> {
    (!same_token(form.value("csrf_token"), &session.csrf_token))
        .then(|| page(StatusCode::FORBIDDEN, &ErrorPage::csrf(lang())))
}

/// A service message in the page's language.
fn text(t: &service::Text) -> String {
    t.get(current_lang()).to_owned()
}

/// An instant (ms) in Paris time: `15/01/2027 à 09:00`.
fn paris(lang: Lang, ms: i64) -> String {
    let t = crate::clock::from_millis(ms);
    match lang {
        Lang::Fr => crate::clock::paris_fr(t),
        Lang::En => crate::clock::paris_en(t),
    }
}

/// Adds `Set-Cookie` headers; a value that cannot be a header is a bug, answered with a 500.
fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for c in cookies {
        match HeaderValue::from_str(c) {
            Ok(v) => {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Err(_) => {
                tracing::error!("a Set-Cookie value was not a valid header");
                return internal_page();
            }
        }
    }
    response
}

/// A `__Host-` cookie: Secure, HttpOnly, SameSite=Strict, Path=/, no Domain; without `max_age`
/// it is a browser-session cookie.
fn host_cookie(name: &str, value: &str, max_age: Option<u32>) -> String {
    let mut c = format!("{name}={value}; Secure; HttpOnly; SameSite=Strict; Path=/");
    if let Some(secs) = max_age {
        c.push_str(&format!("; Max-Age={secs}"));
    }
    c
}

/// A `Set-Cookie` value that deletes a `__Host-` cookie.
fn cleared(name: &str) -> String {
    host_cookie(name, "", Some(0))
}

/// True when another site sent the request: an `Origin` other than ours, or a browser saying so.
fn cross_site(headers: &HeaderMap, uri: &Uri) -> bool {
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

/// A posted form, from our own origin only.
struct WebForm(FormFields);

impl<S: Send + Sync> FromRequest<S> for WebForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if cross_site(req.headers(), req.uri()) {
            return Err(page(StatusCode::FORBIDDEN, &ErrorPage::cross_site(lang())));
        }
        match Bytes::from_request(req, state).await {
            Ok(body) => Ok(WebForm(FormFields::parse(&body))),
            Err(rejection) => {
                let lang = lang();
                let message = match lang {
                    Lang::Fr => "Le formulaire envoyé n'a pas pu être lu.",
                    Lang::En => "The form sent could not be read.",
                };
                Err(page(
                    rejection.status(),
                    &ErrorPage::bad_request(lang, message),
                ))
            }
        }
    }
}

/// Who is asking, according to the session cookie.
enum Visitor {
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

async fn visitor(state: &AppState, headers: &HeaderMap, ip: &str) -> Result<Visitor, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(Visitor::Anonymous);
    };
    match state.core.authenticate(token, ip).await {
        Ok(session) if session.kind == SessionKind::Cookie => {
            match state.core.charter_pending(&session.actor).await {
                Ok(false) => Ok(Visitor::SignedIn(session)),
                Ok(true) => Ok(Visitor::CharterPending(session)),
                Err(e) => Err(internal(&e)),
            }
        }
        // A bearer token is not a web session, even when someone puts it in the cookie.
        Ok(_) | Err(Error::Unauthenticated) => Ok(Visitor::Expired),
        Err(e) => Err(internal(&e)),
    }
}

/// Where a page that needs a session sends a visitor without one.
fn to_login(visitor: &Visitor) -> Response {
    match visitor {
        Visitor::Expired => {
            with_cookies(see_other("/connexion?expire=1"), &[cleared(SESSION_COOKIE)])
        }
        Visitor::CharterPending(_) => see_other("/charte"),
        _ => see_other("/connexion"),
    }
}

/// `GET /static/{file}`: the embedded stylesheet and icon, cacheable for an hour.
async fn asset(Path(file): Path<String>) -> Response {
    match admin_ui::static_asset(&file) {
        Some((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        None => not_found_page(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn cookies_have_the_host_prefix_attributes() {
        assert_eq!(
            host_cookie(SESSION_COOKIE, "abc", None),
            "__Host-passerelle-session=abc; Secure; HttpOnly; SameSite=Strict; Path=/"
        );
        assert_eq!(
            cleared(LOGIN_COOKIE),
            "__Host-passerelle-login=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        );
    }
}

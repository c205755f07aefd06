//! The web interface's routes (server-rendered pages with cookie sessions).
//!
//! Pages come from the `admin-ui` crate; this module only translates between HTTP and the
//! services. Every POST refuses a request sent by another site (`Origin` or `Sec-Fetch-Site`),
//! the login challenge travels in its own `__Host-` cookie (never in a form field), and the
//! signed-in pages carry the session's CSRF token, checked on every state change.

mod account;
mod admin;
mod charter;
mod error;
mod extract;
mod files;
mod invitation;
mod login;
mod mission;
mod mission_manage;
mod notifications;
mod passkeys;
mod reset;
mod session;

use super::error::current_lang;
use super::AppState;
use crate::service;
pub(crate) use account::second_factor;
pub(crate) use admin::lockdown_banner;
use admin_ui::{ErrorPage, Lang};
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use error::{page, see_other, with_cookies, PageError, PageResult};
use extract::{check_csrf, AdminSession, CsrfForm, Visitor, WebForm, WebSession};

/// The cookie holding the pending login challenge between the steps of the login.
pub(crate) const LOGIN_COOKIE: &str = "__Host-passerelle-login";
/// The language cookie read by the language negotiation.
const LANG_COOKIE: &str = "lang";
/// Forms are small: a few short fields.
const FORM_LIMIT: usize = 16 * 1024;

/// The web routes, merged into the main router.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::root))
        .route("/connexion", get(login::form).post(login::password))
        .route("/connexion/etape", get(login::current_step))
        .route("/connexion/mot-de-passe", post(login::change_password))
        .route("/connexion/code", post(login::second_factor))
        .route("/connexion/cle", post(login::passkey))
        .route("/accueil", get(session::home))
        .route("/charte", get(charter::form).post(charter::accept))
        .route(
            "/compte/notifications",
            get(notifications::form).post(notifications::save),
        )
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
        .route("/fichiers/{id}/contenu", get(files::content))
        .route(
            "/fichiers/{id}/cases-refusees.csv",
            get(files::refused_cells),
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
        .merge(account::router())
        .merge(passkeys::router())
        .merge(reset::router())
        .merge(invitation::router())
        .merge(mission_manage::router())
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
}

/// The language of the current request, for the pages.
fn lang() -> Lang {
    match current_lang() {
        service::Lang::Fr => Lang::Fr,
        service::Lang::En => Lang::En,
    }
}

/// The "page not found" page, for paths nothing serves.
pub(super) fn not_found_page() -> Response {
    page(StatusCode::NOT_FOUND, &ErrorPage::not_found(lang()))
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

    #[test]
    fn cookies_have_the_host_prefix_attributes() {
        assert_eq!(
            host_cookie(crate::http::extract::SESSION_COOKIE, "abc", None),
            "__Host-passerelle-session=abc; Secure; HttpOnly; SameSite=Strict; Path=/"
        );
        assert_eq!(
            cleared(LOGIN_COOKIE),
            "__Host-passerelle-login=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        );
    }
}

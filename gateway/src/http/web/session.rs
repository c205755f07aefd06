//! The signed-in pages, the logout, the signed-out page and the language switch.

use super::{
    cleared, internal, lang, page, see_other, to_login, visitor, with_cookies, Visitor, WebForm,
    LANG_COOKIE,
};
use crate::http::extract::{same_token, ClientIp, SESSION_COOKIE};
use crate::http::AppState;
use admin_ui::{ErrorPage, HomePage, Lang, SignedOutPage};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The language cookie lasts a year.
const LANG_COOKIE_SECS: u32 = 365 * 24 * 3600;

/// `GET /`: the home page when signed in, else the login page.
pub(super) async fn root(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Response {
    match visitor(&s, &headers, &ip).await {
        Ok(Visitor::SignedIn(_)) => see_other("/accueil"),
        Ok(other) => to_login(&other),
        Err(response) => response,
    }
}

/// `GET /accueil`: greeting, organisation, the session's remaining idle time, logout.
pub(super) async fn home(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Response {
    let session = match visitor(&s, &headers, &ip).await {
        Ok(Visitor::SignedIn(session)) => session,
        Ok(other) => return to_login(&other),
        Err(response) => return response,
    };
    let (user, org) = match s.core.me(&session.actor).await {
        Ok(found) => found,
        Err(e) => return internal(&e),
    };
    let left = (session.idle_deadline - s.core.clock.now())
        .num_seconds()
        .max(0);
    let lang = lang();
    page(
        StatusCode::OK,
        &HomePage {
            lang,
            display_name: user.display_name,
            organisation: org.name,
            idle_minutes: (left + 59) / 60,
            csrf_token: session.csrf_token,
        },
    )
}

/// `POST /deconnexion`: ends the session when the form carries the session's CSRF token.
pub(super) async fn logout(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    WebForm(f): WebForm,
) -> Response {
    let session = match visitor(&s, &headers, &ip).await {
        Ok(Visitor::SignedIn(session)) => session,
        // Nothing to end: no state changes, so the visitor just goes to the login page.
        Ok(other) => return to_login(&other),
        Err(response) => return response,
    };
    if !same_token(f.value("csrf_token"), &session.csrf_token) {
        return page(StatusCode::FORBIDDEN, &ErrorPage::csrf(lang()));
    }
    if let Err(e) = s.core.logout(&session).await {
        return internal(&e);
    }
    with_cookies(see_other("/deconnecte"), &[cleared(SESSION_COOKIE)])
}

/// `GET /deconnecte`: after a logout.
pub(super) async fn signed_out() -> Response {
    page(StatusCode::OK, &SignedOutPage { lang: lang() })
}

/// A return path the language switch may redirect to: local, absolute, not protocol-relative.
fn safe_return(retour: &str) -> Option<&str> {
    let rest = retour.strip_prefix('/')?;
    let local = !rest.starts_with('/')
        && !rest.starts_with('\\')
        && retour.len() <= 512
        && retour.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    local.then_some(retour)
}

/// `POST /langue`: remembers the language in a cookie and returns to the page.
pub(super) async fn language(WebForm(f): WebForm) -> Response {
    let Some(chosen) = Lang::from_code(f.value("lang")) else {
        let current = lang();
        return page(
            StatusCode::BAD_REQUEST,
            &ErrorPage::bad_request(current, current.t().err_bad_language),
        );
    };
    let retour = safe_return(f.value("retour")).unwrap_or("/");
    let Ok(location) = HeaderValue::from_str(retour) else {
        return see_other("/");
    };
    let response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    // Not HttpOnly on purpose: the language is no secret, and a script may read it.
    let lang_cookie = format!(
        "{LANG_COOKIE}={}; Secure; SameSite=Strict; Path=/; Max-Age={LANG_COOKIE_SECS}",
        chosen.code()
    );
    with_cookies(response, &[lang_cookie])
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_local_return_paths() {
        assert_eq!(safe_return("/connexion"), Some("/connexion"));
        assert_eq!(safe_return("/"), Some("/"));
        assert_eq!(safe_return("/accueil?x=1"), Some("/accueil?x=1"));
        for bad in [
            "",
            "connexion",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "/a\r\nSet-Cookie: x=y",
            "/\\/evil.example",
        ] {
            assert_eq!(safe_return(bad), None, "{bad:?}");
        }
    }
}

//! The home page, the session's remaining time, the logout, the signed-out page and the language
//! switch.

use super::{
    cleared, lang, page, paris, see_other, with_cookies, CsrfForm, PageError, PageResult, Visitor,
    WebForm, WebSession, LANG_COOKIE,
};
use crate::domain::Mission;
use crate::http::extract::{cookie, ClientIp, SESSION_COOKIE};
use crate::http::AppState;
use crate::service::permissions::Role;
use crate::service::sessions::SessionKind;
use crate::service::Error;
use admin_ui::{HomePage, Lang, MissionSummary, SignedOutPage};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The language cookie lasts a year.
const LANG_COOKIE_SECS: u32 = 365 * 24 * 3600;
/// A mission ending within this many seconds is flagged « Bientôt : ».
const SOON_SECS: i64 = 7 * 24 * 3600;

/// A mission as the pages show it, its time left counted on the gateway's clock.
pub(super) fn summary(
    lang: Lang,
    now_ms: i64,
    mission: &Mission,
    roles: &[Role],
) -> MissionSummary {
    let left_secs = (mission.ends_at - now_ms) / 1000;
    let over = !mission.status.still_running() || left_secs <= 0;
    MissionSummary {
        id: mission.id.clone(),
        name: mission.name.clone(),
        roles: roles
            .iter()
            .map(|r| lang.role_name(r.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        status: lang.mission_status(mission.status.as_str()).to_owned(),
        ends_at: paris(lang, mission.ends_at),
        time_left: lang.time_left(left_secs, over),
        soon: !over && left_secs <= SOON_SECS,
    }
}

/// `GET /`: the home page when signed in, else the login page.
pub(super) async fn root(visitor: Visitor) -> PageResult {
    match visitor {
        Visitor::SignedIn(_) => Ok(see_other("/accueil")),
        other => Err(PageError::SignIn(other.sign_in())),
    }
}

/// `GET /accueil`: greeting, organisation, the user's missions, the session's remaining idle
/// time, logout.
pub(super) async fn home(State(s): State<AppState>, WebSession(session): WebSession) -> PageResult {
    let (user, org) = s.core.me(&session.actor).await?;
    let missions = s.core.list_missions(&session.actor).await?;
    let certificates = s.core.certificates_only(&session.actor).await?;
    let now = s.core.clock.now();
    let left = (session.idle_deadline - now).num_seconds().max(0);
    let lang = lang();
    let now_ms = now.timestamp_millis();
    Ok(page(
        StatusCode::OK,
        &HomePage {
            lang,
            display_name: user.display_name,
            organisation: org.name,
            idle_minutes: (left + 59) / 60,
            csrf_token: session.csrf_token,
            missions: missions
                .iter()
                .filter(|m| m.mission.status.still_running())
                .map(|m| summary(lang, now_ms, &m.mission, &m.my_roles))
                .collect(),
            // Ended missions the person may still see (their page, their retained results).
            ended: missions
                .iter()
                .filter(|m| !m.mission.status.still_running())
                .map(|m| summary(lang, now_ms, &m.mission, &m.my_roles))
                .collect(),
            certificates: certificates
                .iter()
                .map(|m| summary(lang, now_ms, m, &[]))
                .collect(),
            platform_admin: session.actor.platform_admin,
        },
    ))
}

/// `POST /deconnexion`: ends the session (charter accepted or not) when the form carries the
/// session's CSRF token. Without a session there is nothing to end: the login page.
pub(super) async fn logout(State(s): State<AppState>, visitor: Visitor, _: CsrfForm) -> PageResult {
    let Some(session) = visitor.session() else {
        return Err(PageError::SignIn(visitor.sign_in()));
    };
    s.core.logout(session).await?;
    Ok(with_cookies(
        see_other("/deconnecte"),
        &[cleared(SESSION_COOKIE)],
    ))
}

/// `GET /session/etat`: the seconds left before the session ends without activity, for the
/// interface's warning. Asking does not count as activity.
pub(super) async fn status(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> PageResult {
    session_left(&s, &headers, &ip, false).await
}

/// `GET /session/prolonger`: counts as activity (« Rester connecté »), then answers as `status`.
pub(super) async fn extend(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> PageResult {
    session_left(&s, &headers, &ip, true).await
}

async fn session_left(s: &AppState, headers: &HeaderMap, ip: &str, activity: bool) -> PageResult {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok((
            StatusCode::UNAUTHORIZED,
            no_store,
            Json(json!({ "restant": 0 })),
        )
            .into_response());
    };
    let found = if activity {
        s.core.authenticate(token, ip).await
    } else {
        s.core.peek_session(token, ip).await
    };
    match found {
        Ok(session) if session.kind == SessionKind::Cookie => {
            let left = (session.idle_deadline - s.core.clock.now())
                .num_seconds()
                .max(0);
            Ok((StatusCode::OK, no_store, Json(json!({ "restant": left }))).into_response())
        }
        Ok(_) | Err(Error::Unauthenticated) => Ok((
            StatusCode::UNAUTHORIZED,
            no_store,
            Json(json!({ "restant": 0 })),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
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
pub(super) async fn language(WebForm(f): WebForm) -> PageResult {
    let Some(chosen) = Lang::from_code(f.value("lang")) else {
        return Err(PageError::bad_request(lang().t().err_bad_language));
    };
    let retour = safe_return(f.value("retour")).unwrap_or("/");
    let Ok(location) = HeaderValue::from_str(retour) else {
        return Ok(see_other("/"));
    };
    let response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    // Not HttpOnly on purpose: the language is no secret, and a script may read it.
    let lang_cookie = format!(
        "{LANG_COOKIE}={}; Secure; SameSite=Strict; Path=/; Max-Age={LANG_COOKIE_SECS}",
        chosen.code()
    );
    Ok(with_cookies(response, &[lang_cookie]))
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

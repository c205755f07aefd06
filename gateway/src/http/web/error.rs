//! `PageError`: every refusal of a web page, rendered as the page (or redirection) it calls for.
//!
//! The API answers `AppError` as JSON; the pages answer `PageError` as HTML, in the visitor's
//! language. Handlers and extractors return it with `?`: a service error or an `AppError` turns
//! into the right variant by its kind, never by re-reading status codes or machine codes.

use super::{cleared, lang, Lang};
use crate::http::error::{AppError, Refusal};
use crate::http::extract::SESSION_COOKIE;
use crate::service::Error;
use admin_ui::{ErrorPage, Template};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Where a page that needs a signed-in user sends a visitor who is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignIn {
    /// No session cookie: the login page.
    Anonymous,
    /// A session cookie whose session has ended: the login page saying so, the cookie cleared.
    Expired,
    /// Signed in, the usage charter in force not yet accepted: the charter.
    CharterPending,
}

/// A refusal of a web request, rendered as a page.
#[derive(Debug)]
#[non_exhaustive]
pub(crate) enum PageError {
    /// Not signed in (or not yet past the charter): a redirection, as [`SignIn`] says.
    SignIn(SignIn),
    /// 403: the form does not carry the session's anti-forgery token ("reload the page").
    Csrf,
    /// 403: another site sent the request.
    CrossSite,
    /// 403: the caller's role in the mission does not allow the operation.
    Role,
    /// 404: absent, or not for the caller to see (the French "page introuvable").
    NotFound,
    /// 423: the mission is suspended.
    MissionSuspended,
    /// 403: outside the mission's access hours.
    OutsideAccessHours,
    /// 503: the service is locked down (the bilingual page, French first).
    LockedDown,
    /// The request cannot be served as sent: the status and the message saying what to fix.
    Refused(StatusCode, String),
    /// 500: the detail goes to the log, the visitor sees the generic page.
    Unexpected(anyhow::Error),
}

impl PageError {
    /// An unexpected failure described for the log.
    pub(crate) fn unexpected(what: &'static str) -> Self {
        Self::Unexpected(anyhow::anyhow!(what))
    }

    /// A 400 refusal whose message says what to fix.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::Refused(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e.refusal() {
            Refusal::Csrf => Self::Csrf,
            Refusal::Role => Self::Role,
            Refusal::NotFound => Self::NotFound,
            Refusal::MissionSuspended => Self::MissionSuspended,
            Refusal::OutsideAccessHours => Self::OutsideAccessHours,
            Refusal::LockedDown => Self::LockedDown,
            // `AppError` logged the detail when it was made.
            Refusal::Unexpected => Self::Unexpected(anyhow::anyhow!("see the error logged above")),
            _ if e.status().is_server_error() => {
                Self::Unexpected(anyhow::anyhow!("{}: {}", e.code(), e.message()))
            }
            _ => Self::Refused(e.status(), e.message().to_owned()),
        }
    }
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        match e {
            // Kept whole for the log (`AppError` would only keep its words).
            Error::Unexpected(e) => Self::Unexpected(e),
            other => AppError::from(other).into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let lang = lang();
        let (status, shown) = match self {
            Self::SignIn(SignIn::Anonymous) => return see_other("/connexion"),
            Self::SignIn(SignIn::CharterPending) => return see_other("/charte"),
            Self::SignIn(SignIn::Expired) => {
                return with_cookies(see_other("/connexion?expire=1"), &[cleared(SESSION_COOKIE)])
            }
            Self::Csrf => (StatusCode::FORBIDDEN, ErrorPage::csrf(lang)),
            Self::CrossSite => (StatusCode::FORBIDDEN, ErrorPage::cross_site(lang)),
            Self::Role => (StatusCode::FORBIDDEN, ErrorPage::role_refused(lang)),
            Self::NotFound => (StatusCode::NOT_FOUND, ErrorPage::not_found(lang)),
            Self::MissionSuspended => (StatusCode::LOCKED, ErrorPage::mission_suspended(lang)),
            Self::OutsideAccessHours => {
                (StatusCode::FORBIDDEN, ErrorPage::outside_access_hours(lang))
            }
            Self::LockedDown => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorPage::locked_down(lang),
            ),
            Self::Refused(status, message) => (status, ErrorPage::bad_request(lang, &message)),
            Self::Unexpected(e) => {
                tracing::error!(error = ?e, "web request failed");
                return internal_page(lang);
            }
        };
        page(status, &shown)
    }
}

/// The result of a web handler.
pub(crate) type PageResult = Result<Response, PageError>;

/// A rendered page with its status; a template failure becomes the generic 500 page. An
/// administration page shows the lockdown banner when [`super::admin::lockdown_banner`] found one.
pub(crate) fn page<T: Template>(status: StatusCode, page: &T) -> Response {
    let banner = super::admin::banner_in_words(lang());
    match admin_ui::with_banner(banner, || page.render()) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            internal_page(lang())
        }
    }
}

/// The generic 500 page (a fixed bilingual page should even that one fail to render).
fn internal_page(lang: Lang) -> Response {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    match ErrorPage::internal(lang).render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Html(admin_ui::FALLBACK_ERROR_HTML)).into_response(),
    }
}

/// `303 See Other` to a local path.
pub(crate) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => {
            PageError::unexpected("a redirection target was not a valid header").into_response()
        }
    }
}

/// Adds `Set-Cookie` headers; a value that cannot be a header is a bug, answered with a 500.
pub(crate) fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for c in cookies {
        match HeaderValue::from_str(c) {
            Ok(v) => {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Err(_) => {
                return PageError::unexpected("a Set-Cookie value was not a valid header")
                    .into_response()
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(e: Error) -> String {
        format!("{:?}", PageError::from(e))
    }

    #[test]
    fn each_service_refusal_has_its_page() {
        assert_eq!(kind(Error::Forbidden), "Role");
        assert_eq!(kind(Error::NotFound), "NotFound");
        assert_eq!(kind(Error::MissionSuspended), "MissionSuspended");
        assert_eq!(kind(Error::OutsideAccessHours), "OutsideAccessHours");
        assert_eq!(kind(Error::LockedDown), "LockedDown");
        assert!(kind(Error::Unexpected(anyhow::anyhow!("disk"))).starts_with("Unexpected"));
        assert!(matches!(PageError::from(AppError::csrf()), PageError::Csrf));
        let conflict = PageError::from(Error::Conflict(crate::service::Text::new(
            "déjà", "already",
        )));
        assert!(
            matches!(conflict, PageError::Refused(StatusCode::CONFLICT, ref m) if m == "déjà"),
            "{conflict:?}"
        );
    }

    #[test]
    fn the_role_refusal_is_not_the_csrf_page() {
        let status = |e: PageError| e.into_response().status();
        assert_eq!(status(PageError::Role), StatusCode::FORBIDDEN);
        assert_eq!(status(PageError::Csrf), StatusCode::FORBIDDEN);
        assert_eq!(status(PageError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status(PageError::SignIn(SignIn::Anonymous)),
            StatusCode::SEE_OTHER
        );
        let expired = PageError::SignIn(SignIn::Expired).into_response();
        assert_eq!(expired.headers()[header::LOCATION], "/connexion?expire=1");
        assert!(expired.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }
}

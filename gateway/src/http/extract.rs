//! Extractors: the client address, JSON bodies with contract errors, the authenticated session.

use super::error::AppError;
use super::AppState;
use crate::service::sessions::{Session, SessionKind};
use crate::service::Error;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use subtle::ConstantTimeEq as _;

/// Name of the web interface's session cookie (`__Host-`: Secure, no Domain, Path=/).
pub(crate) const SESSION_COOKIE: &str = "__Host-passerelle-session";
/// Header carrying the CSRF token on cookie-authenticated API calls.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The client's `User-Agent` (empty when absent or not text), kept with a new session.
pub(crate) fn user_agent(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The peer's address.
#[derive(Debug, Clone)]
pub(crate) struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".to_owned()),
        ))
    }
}

/// A JSON body whose problems answer 400 `invalid_request` with a useful message.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection as J;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(J::MissingJsonContentType(_)) => Err(AppError::bad_request(
                "Le corps de la requête doit être du JSON (Content-Type: application/json).",
                "The request body must be JSON (Content-Type: application/json).",
            )),
            Err(J::JsonDataError(e)) => Err(AppError::bad_request(
                format!("Requête invalide : {}", e.body_text()),
                format!("Invalid request: {}", e.body_text()),
            )),
            Err(J::JsonSyntaxError(_)) => Err(AppError::bad_request(
                "Le corps de la requête n'est pas du JSON valide.",
                "The request body is not valid JSON.",
            )),
            Err(_) => Err(AppError::bad_request(
                "Le corps de la requête n'a pas pu être lu.",
                "The request body could not be read.",
            )),
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The value of a cookie in a request.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Constant-time comparison of two tokens.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// True when a cross-site origin sent the request (a browser always sends `Origin` on POST).
fn cross_origin(parts: &Parts) -> bool {
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(parts.uri.authority().map(|a| a.as_str()));
    match host {
        Some(host) => origin != format!("https://{host}"),
        None => true,
    }
}

/// An authenticated caller: a bearer token, or the web session cookie. A cookie-authenticated
/// state change must carry the session's CSRF token in `X-CSRF-Token` and come from our origin.
#[derive(Debug, Clone)]
pub(crate) struct Authed(pub Session);

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = ClientIp::from_request_parts(parts, state)
            .await
            .map(|c| c.0)
            .unwrap_or_default();
        if let Some(token) = bearer(parts) {
            let session = state.core.authenticate(token, &ip).await?;
            if session.kind != SessionKind::Bearer {
                return Err(Error::Unauthenticated.into());
            }
            return Ok(Authed(session));
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Error::Unauthenticated.into());
        };
        let session = state.core.authenticate(token, &ip).await?;
        if session.kind != SessionKind::Cookie {
            return Err(Error::Unauthenticated.into());
        }
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if cross_origin(parts) || !same_token(sent, &session.csrf_token) {
                return Err(AppError::csrf());
            }
        }
        Ok(Authed(session))
    }
}

//! Middleware around every response: security headers, language, no caching of personal data.

use super::error::LANG;
use crate::service::Lang;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy: only our own origin, no plugins, no framing, no base rewriting.
pub(crate) const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The language a request asks for: the `lang` cookie, then `Accept-Language`, else French.
pub(crate) fn negotiate(headers: &axum::http::HeaderMap) -> Lang {
    // Every `Cookie` header: over HTTP/2 browsers send one per cookie.
    match super::extract::cookie(headers, "lang") {
        Some("en") => return Lang::En,
        Some("fr") => return Lang::Fr,
        _ => {}
    }
    let Some(accept) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Lang::Fr;
    };
    let mut best: Option<(f32, Lang)> = None;
    for part in accept.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag == "fr" || tag.starts_with("fr-") {
            Lang::Fr
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Lang::Fr)
}

/// Adds the security headers and runs the request with its language in scope.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let lang = negotiate(request.headers());
    let cacheable = request.uri().path().starts_with("/static/");
    let mut response = LANG.scope(lang, next.run(request)).await;
    let h = response.headers_mut();
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.remove(header::SERVER);
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn language_negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()), Lang::Fr);
        assert_eq!(
            negotiate(&with(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")),
            Lang::En
        );
        assert_eq!(
            negotiate(&with(header::ACCEPT_LANGUAGE, "de, en;q=0.5, fr;q=0.8")),
            Lang::Fr
        );
        assert_eq!(negotiate(&with(header::ACCEPT_LANGUAGE, "de")), Lang::Fr);
        assert_eq!(negotiate(&with(header::COOKIE, "a=b; lang=en")), Lang::En);
        // HTTP/2: one header per cookie, the language not in the first.
        let mut h2 = with(header::COOKIE, "__Host-passerelle-session=abc");
        h2.append(header::COOKIE, HeaderValue::from_static("lang=en"));
        h2.append(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr-FR"));
        assert_eq!(negotiate(&h2), Lang::En);
    }
}

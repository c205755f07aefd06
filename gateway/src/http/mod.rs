//! HTTP: the router, its middleware and handlers. Handlers translate between HTTP and the
//! services; they never hold rules of their own.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod certificate_page;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod files;
pub(crate) mod headers;
pub(crate) mod invitations;
pub(crate) mod limits;
pub(crate) mod linger;
pub(crate) mod lockdown;
pub(crate) mod missions;
pub(crate) mod notifications;
pub(crate) mod passkeys;
pub(crate) mod views;
pub(crate) mod web;

use crate::service::Core;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    /// The services.
    pub core: Core,
}

/// Whether the gateway answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "`ok`", body = String, content_type = "text/plain"),
))]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// The OpenAPI document, serialised once when the router is built.
#[derive(Clone, Debug)]
pub(crate) struct OpenApiJson(Arc<str>);

/// This API's contract as an OpenAPI 3.1 document (no authentication).
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses(
    (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"),
))]
pub(crate) async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> Response {
    let mut response = doc.0.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Unknown paths: the API's JSON 404 under `/api/`, the web page everywhere else.
async fn not_found(uri: axum::http::Uri) -> Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        error::AppError::not_found().into_response()
    } else {
        web::not_found_page()
    }
}

/// The API's routes, each described by its handler's annotation (`routes!` collects both).
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::password))
        .routes(routes!(auth::totp))
        .routes(routes!(auth::webauthn))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(notifications::get, notifications::put))
        .routes(routes!(account::change_password))
        .routes(routes!(account::sessions))
        .routes(routes!(account::end_session))
        .routes(routes!(
            account::recovery_codes_left,
            account::regenerate_recovery_codes
        ))
        .routes(routes!(account::start_totp))
        .routes(routes!(account::confirm_totp))
        .routes(routes!(passkeys::list, passkeys::register))
        .routes(routes!(passkeys::start_registration))
        .routes(routes!(passkeys::remove))
        .routes(routes!(passkeys::remove_totp))
        .routes(routes!(account::request_reset))
        .routes(routes!(account::reset))
        .routes(routes!(admin::create_org, admin::list_orgs))
        .routes(routes!(admin::create_user, admin::list_users))
        .routes(routes!(admin::disable_user))
        .routes(routes!(admin::reset_user))
        .routes(routes!(admin::enable_user))
        .routes(routes!(admin::patch_user))
        .routes(routes!(admin::patch_org))
        .routes(routes!(lockdown::get, lockdown::set))
        .routes(routes!(invitations::list))
        .routes(routes!(invitations::send, invitations::revoke))
        .routes(routes!(missions::create, missions::list))
        .routes(routes!(missions::get, missions::patch))
        .routes(routes!(missions::add_participant))
        .routes(routes!(missions::remove_participant))
        .routes(routes!(missions::remove_role))
        .routes(routes!(missions::suspend))
        .routes(routes!(missions::resume))
        .routes(routes!(missions::close))
        .routes(routes!(missions::certificate))
        // The printable page of the certificate is HTML for people, not part of the contract.
        .route(
            "/missions/{id}/certificate.html",
            get(missions::certificate_html),
        )
        .routes(routes!(files::list))
        // Uploads stream into the store; their limit is enforced while reading, by the service.
        .routes(routes!(files::upload_deposit).layer(DefaultBodyLimit::disable()))
        .routes(routes!(files::upload_result).layer(DefaultBodyLimit::disable()))
        .routes(routes!(audit::register))
        .routes(routes!(files::get, files::delete, files::patch))
        .routes(routes!(files::content))
        .routes(routes!(files::downloads))
        .routes(routes!(files::release))
        .routes(routes!(files::confirm))
        .routes(routes!(audit::events))
        .routes(routes!(openapi_json))
        // JSON bodies are small; uploads get their own limit on their own routes.
        .layer(DefaultBodyLimit::max(64 * 1024))
}

/// The OpenAPI document of every route the contract names, as the router serves them (the
/// server builds it with its router; the unit tests read it alone).
#[cfg(test)]
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    views::openapi::complete(documented_routes().split_for_parts().1)
}

fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(views::openapi::frame())
        .routes(routes!(healthz))
        .routes(routes!(missions::signing_key))
        .nest("/api/v1", api_routes())
}

/// The whole HTTP application.
pub(crate) fn router(state: AppState) -> Router {
    let body_idle = Duration::from_secs(state.core.config.http.body_idle_timeout_secs);
    let (documented, doc) = documented_routes().split_for_parts();
    let doc = views::openapi::complete(doc);
    // The document cannot fail to serialise (its maps have string keys); were it to, the route
    // answers an empty object rather than the server refusing to start.
    let doc_json = OpenApiJson(Arc::from(doc.to_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "serialising the OpenAPI document");
        "{}".to_owned()
    })));
    Router::new()
        .merge(documented)
        .layer(Extension(doc_json))
        .merge(web::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::unauthenticated_limits,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::lockdown_banner,
        ))
        .with_state(state)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_idle))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(axum::middleware::from_fn(linger::linger))
}

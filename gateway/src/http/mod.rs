//! HTTP: the router, its middleware and handlers. Handlers translate between HTTP and the
//! services; they never hold rules of their own.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod files;
pub mod headers;
pub mod limits;
pub mod missions;
pub mod web;

use crate::service::Core;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::time::Duration;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The services.
    pub core: Core,
}

async fn healthz() -> &'static str {
    "ok"
}

/// Unknown paths: the API's JSON 404 under `/api/`, the web page everywhere else.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        error::AppError::not_found().into_response()
    } else {
        web::not_found_page()
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let body_idle = Duration::from_secs(state.core.config.http.body_idle_timeout_secs);
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/password", post(auth::password))
        .route("/auth/totp", post(auth::totp))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route(
            "/organisations",
            post(admin::create_org).get(admin::list_orgs),
        )
        .route("/users", post(admin::create_user).get(admin::list_users))
        .route("/users/{id}/disable", post(admin::disable_user))
        .route("/users/{id}/reset", post(admin::reset_user))
        .route("/missions", post(missions::create).get(missions::list))
        .route("/missions/{id}", get(missions::get).patch(missions::patch))
        .route(
            "/missions/{id}/participants",
            post(missions::add_participant),
        )
        .route(
            "/missions/{id}/participants/{user_id}",
            axum::routing::delete(missions::remove_participant),
        )
        .route("/missions/{id}/suspend", post(missions::suspend))
        .route("/missions/{id}/resume", post(missions::resume))
        .route("/missions/{id}/close", post(missions::close))
        .route("/missions/{id}/certificate", get(missions::certificate))
        .route(
            "/missions/{id}/certificate.html",
            get(missions::certificate_html),
        )
        .route("/missions/{id}/files", get(files::list))
        // Uploads stream into the store; their limit is enforced while reading, by the service.
        .route(
            "/missions/{id}/deposits",
            post(files::upload_deposit).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/missions/{id}/results",
            post(files::upload_result).layer(DefaultBodyLimit::disable()),
        )
        .route("/missions/{id}/register.csv", get(audit::register))
        .route(
            "/files/{id}",
            get(files::get).delete(files::delete).patch(files::patch),
        )
        .route("/files/{id}/content", get(files::content))
        .route("/files/{id}/release", post(files::release))
        .route("/files/{id}/confirm", post(files::confirm))
        .route("/audit", get(audit::events))
        // JSON bodies are small; uploads get their own limit on their own routes.
        .layer(DefaultBodyLimit::max(64 * 1024));
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/.well-known/passerelle-signing-key",
            get(missions::signing_key),
        )
        .nest("/api/v1", api)
        .merge(web::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::unauthenticated_limits,
        ))
        .with_state(state)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_idle))
        .layer(axum::middleware::from_fn(headers::security_headers))
}

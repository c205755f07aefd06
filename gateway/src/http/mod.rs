//! HTTP: the router, its middleware and handlers. Handlers translate between HTTP and the
//! services; they never hold rules of their own.

pub mod admin;
pub mod auth;
pub mod error;
pub mod extract;
pub mod headers;
pub mod web;

use crate::service::Core;
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

async fn not_found() -> error::AppError {
    error::AppError::not_found()
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
        // JSON bodies are small; uploads get their own limit on their own routes.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024));
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api)
        .merge(web::router())
        .fallback(not_found)
        .with_state(state)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_idle))
        .layer(axum::middleware::from_fn(headers::security_headers))
}

//! The web interface's routes (server-rendered pages with cookie sessions).

use super::AppState;
use axum::Router;

/// The web routes, merged into the main router.
pub fn router() -> Router<AppState> {
    Router::new()
}

//! Passerelle's black-box test support: the real gateway over real TLS, driven by a real HTTPS
//! client, and generators of hostile files.
//!
//! One entry, [`TestApp`]: `TestApp::spawn(backend)` starts the real gateway on port 0 with a
//! temporary data directory and a fresh database (SQLite, or PostgreSQL when
//! `PASSERELLE_TEST_POSTGRES_URL` is set), and its methods are named for the requests they make
//! (`app.login(..)`, `app.create_mission(..)`, `app.upload_deposit(..)`, `app.download(..)`).
//! Uploads of every shape go through one builder, [`Upload`]. The test binaries (`tests/api`,
//! `tests/isolation`, `tests/browser`) take everything from [`prelude`].

// Test support: a failed expectation panics, which is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod accounts;
pub mod app;
pub mod data;
pub mod hostile;
pub mod pages;
pub mod prelude;
pub mod requests;
pub mod responses;
pub mod s3;
pub mod upload;
pub mod world;

pub use accounts::Account;
pub use app::{Backend, Detached, TestApp};
pub use upload::Upload;

/// Runs each named async test body (`async fn name(b: Backend)`) once on SQLite and once on
/// PostgreSQL (when `PASSERELLE_TEST_POSTGRES_URL` is set): a module per name with the tests
/// `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(b) = $crate::Backend::postgres() {
                    super::$name(b).await
                }
            }
        }
    )*};
}

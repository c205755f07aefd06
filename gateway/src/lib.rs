//! Passerelle gateway: HTTPS, accounts and MFA, the audit trail and the command line.
//!
//! Layers: `http` (handlers) calls `service` (the rules), which calls `db` (queries) and the
//! `storage` crate (encrypted blobs). Time comes from a [`clock::Clock`].

pub(crate) mod antivirus;
pub mod app;
pub mod backup;
pub mod blob_backend;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub(crate) mod exports;
pub(crate) mod http;
pub(crate) mod key_store;
pub(crate) mod net;
pub(crate) mod secret_files;
pub(crate) mod server;
pub mod service;
pub(crate) mod tls;
pub mod worker;

pub use app::Application;
pub use config::Config;

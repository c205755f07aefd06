//! Black-box tests: the real gateway over real TLS, driven by a real HTTPS client.

mod helpers;

mod admin;
mod auth;
mod hardening;
mod web;

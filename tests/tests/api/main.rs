//! Black-box tests: the real gateway over real TLS, driven by a real HTTPS client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod admin;
mod antivirus;
mod auth;
mod checks;
mod clamd;
mod destruction;
mod files;
mod hardening;
mod missions;
mod permissions;
mod races;
mod register;
mod separation;
mod starvation;
mod throttle;
mod web;
mod web_admin;
mod web_mission;

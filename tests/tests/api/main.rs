//! Black-box tests: the real gateway over real TLS, driven by a real HTTPS client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_window;
mod account;
mod admin;
mod antivirus;
mod auth;
mod backups;
mod checks;
mod clamd;
mod contract;
mod destruction;
mod downloads;
mod files;
mod hardening;
mod inactivity;
mod incident;
mod invitations;
mod lockdown;
mod mission_life;
mod missions;
mod notifications;
mod passkeys;
mod permissions;
mod races;
mod receipts;
mod register;
mod s3_blobs;
mod scheduled_backups;
mod separation;
mod shared_state;
mod starvation;
mod throttle;
mod uploads;
mod web;
mod web_admin;
mod web_admin_audit;
mod web_mission;
mod web_pages;

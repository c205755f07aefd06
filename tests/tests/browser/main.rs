//! Browser tests: Debian's chromium, headless, driven through chromedriver (WebDriver) against the
//! real gateway over real TLS; every page visited is screenshotted at a desktop and a mobile width
//! (`target/screenshots/`) and checked with axe-core (WCAG 2.1 A/AA).
//!
//! Needs `/usr/bin/chromium`, `/usr/bin/chromedriver` (`apt-get install chromium chromium-driver`)
//! and axe-core (`npm ci --prefix tests/browser`); `.ci/run` installs them. Runs on SQLite only:
//! the API tests already cover PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod account;
mod admin;
mod first_user;
mod harness_check;
mod invitation;
mod mission_life;
mod missions;
mod passkeys;
mod sign_in;
mod upload;

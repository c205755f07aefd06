//! Hostile content against the real gateway (issue 11): files built to abort, exhaust or outlast a
//! reader end held as `unreadable` (deposits) or refused as `unreadable` (results), one at a time and
//! eight at once, while the gateway keeps answering `/healthz` within a second and its own resident
//! memory stays under 128 MiB.
//!
//! A test binary of its own, and one test at a time, so that the process's memory is the gateway's
//! (with the test client's) and nothing else's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod crash;
mod hostile;
mod process;

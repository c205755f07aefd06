//! The operations' JSON shapes (issue 17): the lockdown.

use super::time;
use crate::service::lockdown::Lockdown;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/v1/admin/lockdown`: where the lockdown stands.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LockdownView {
    /// The service is interrupted.
    pub active: bool,
    /// The reason given at the last change (empty when none was).
    pub reason: String,
    /// When it last changed; `null` when it never did.
    pub changed_at: Option<String>,
    /// The user id of whoever changed it last; `null` from the command line, or never.
    pub changed_by: Option<String>,
    /// Sessions ended by this request (a `POST` that locked down; 0 otherwise).
    pub sessions_ended: u64,
}

impl LockdownView {
    /// The view of `l`, with the sessions a change just ended.
    pub(crate) fn new(l: Lockdown, sessions_ended: u64) -> Self {
        Self {
            active: l.active,
            reason: l.reason,
            changed_at: (l.changed_at > 0).then(|| time(l.changed_at)),
            changed_by: l.changed_by,
            sessions_ended,
        }
    }
}

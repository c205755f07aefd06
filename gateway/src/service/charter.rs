//! The usage charter: has this account accepted the version in force, and its acceptance.

use super::audit::{Event, Outcome};
use super::{Actor, Core, Result};
use crate::clock::to_millis;
use crate::db::charter as store;
use crate::domain::AuditAction;
use serde_json::json;

impl Core {
    /// The charter version in force (from the configuration).
    pub fn charter_version(&self) -> &str {
        self.config.charter.version()
    }

    /// Whether `actor` has yet to accept the charter in force.
    pub async fn charter_pending(&self, actor: &Actor) -> Result<bool> {
        let version = self.charter_version();
        Ok(!store::accepted(&self.db, &actor.user_id, version).await?)
    }

    /// Records that `actor` accepted `version`, which must be the version in force (a page
    /// read before the operator changed the charter is not an acceptance of the new one).
    /// Returns whether the version was the one in force.
    pub async fn accept_charter(&self, actor: &Actor, version: &str) -> Result<bool> {
        let current = self.charter_version();
        if version != current {
            return Ok(false);
        }
        let now = to_millis(self.clock.now());
        if store::record(&self.db, &actor.user_id, current, now, &actor.ip).await? {
            self.audit
                .record(
                    Event::new(AuditAction::CharterAccept, Some(actor))
                        .detail(json!({ "version": current })),
                    Outcome::Success,
                )
                .await?;
        }
        Ok(true)
    }
}

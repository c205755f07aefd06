//! The audit API's queries. (The register of processing operations, a CSV for a DPO, is
//! rendered in [`crate::exports`].)

use super::permissions::MissionAction;
use super::{Actor, Core, Error, Result};
use crate::db::audit as store;
use crate::domain::{AuditAction, AuditEntry};

/// Most events one page of the audit API returns.
pub const MAX_PAGE: i64 = 10_000;

impl Core {
    /// Audit events for the API: a platform admin reads everything (or one mission), a manager its
    /// mission's events.
    pub async fn audit_events(
        &self,
        actor: &Actor,
        mission_id: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let limit = limit.clamp(1, MAX_PAGE);
        match mission_id {
            None if actor.platform_admin => {
                Ok(store::list_entries(&self.db, None, after, limit).await?)
            }
            None => Err(Error::Forbidden),
            Some(m) => {
                let (_, viewer) = self.viewer(actor, m).await?;
                let mut event = super::audit::Event::new(AuditAction::AuditRead, Some(actor));
                event.mission_id = Some(m.to_owned());
                self.decide(viewer.mission(MissionAction::Audit), event)
                    .await?;
                Ok(store::list_entries(&self.db, Some(m), after, limit).await?)
            }
        }
    }
}

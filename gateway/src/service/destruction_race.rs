//! Destruction wins every race with an upload.
//!
//! An upload creates its row and marks it stored only while its mission is open (see
//! `db::upload_fence`); the status change that starts a destruction waits for those steps (an
//! in-process lock, and on PostgreSQL the mission row's lock) and every later step sees the end.
//! An upload overtaken by a destruction removes its blob and its row and answers as for an ended
//! mission. Whatever else leaves a blob without its row is swept ([`Core::sweep_orphan_blobs`]),
//! and the certificate is signed only once the store holds nothing of the mission
//! ([`Core::check_store_empty`]).

use super::audit::{Event, Outcome};
use super::permissions::{Decision, Folder, MissionAction};
use super::{Actor, Core, Error, Result};
use crate::db::upload_fence as fence;
use crate::domain::File;
use std::collections::HashSet;
use std::time::Duration;

/// Passes over a mission's blobs before its certificate is refused for now (an upload still
/// committing its blob); the sweeper tries again.
const EMPTY_CHECKS: usize = 5;

impl Core {
    /// Creates an upload's row if the mission is still open; `false` when a destruction started.
    pub(crate) async fn open_upload(&self, row: &File) -> Result<bool> {
        let _fence = self.upload_fence.read().await;
        match fence::insert_uploading(&self.db, row).await? {
            Some(step) => {
                step.done().await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Marks an upload stored and records its success, both before any destruction of its
    /// mission starts; `false` when one started first (nothing is recorded then).
    pub(crate) async fn finish_upload(&self, row: &File, success: Event) -> Result<bool> {
        let _fence = self.upload_fence.read().await;
        let Some(step) = fence::mark_stored(&self.db, row).await? else {
            return Ok(false);
        };
        // Recorded while the mission row is held: the trail never shows an upload after the end.
        self.audit.record(success, Outcome::Success).await?;
        step.done().await?;
        Ok(true)
    }

    /// Whether a destruction of the upload's mission has started.
    pub(crate) async fn upload_overtaken(&self, row: &File) -> Result<bool> {
        Ok(!fence::is_open(&self.db, &row.mission_id).await?)
    }

    /// Removes an upload that must not become visible (its blob, then its row) and records it as
    /// refused for `reason`; a blob that cannot be deleted now is left to the orphan sweep.
    pub(crate) async fn discard_upload(
        &self,
        row: &File,
        mut event: Event,
        reason: &str,
    ) -> Result<()> {
        if let Err(e) = self.blobs.delete(&row.mission_id, &row.id).await {
            tracing::warn!(file = %row.id, error = %e, "could not delete a discarded upload's blob; the sweeper will");
        }
        crate::db::files::delete(&self.db, &row.id).await?;
        event.detail = Some(serde_json::json!({
            "name": row.name, "folder": row.folder, "reason": reason,
        }));
        self.audit.record(event, Outcome::Denied).await?;
        Ok(())
    }

    /// Removes what an overtaken upload left and gives the answer of an ended mission.
    pub(crate) async fn abandon_upload(
        &self,
        actor: &Actor,
        row: &File,
        event: Event,
    ) -> Result<Error> {
        self.discard_upload(row, event, "mission_ended").await?;
        let (_, viewer) = self.viewer(actor, &row.mission_id).await?;
        let action = match row.folder {
            Folder::Results => MissionAction::UploadResult,
            Folder::Deposits => MissionAction::UploadDeposit,
        };
        Ok(match viewer.mission(action) {
            Decision::Forbidden => Error::Forbidden,
            Decision::Hidden | Decision::Allow | Decision::PendingScan => Error::NotFound,
        })
    }

    /// Deletes every blob whose file row is gone (an upload cut at the wrong instant, a crash
    /// between the two deletions, an upload overtaken by a destruction); returns how many.
    pub async fn sweep_orphan_blobs(&self) -> Result<usize> {
        let mut removed = 0;
        for mission in crate::db::missions::list_all(&self.db).await? {
            let blobs = self
                .blobs
                .list(&mission.id)
                .await
                .map_err(|e| Error::Unexpected(anyhow::anyhow!("listing blobs: {e}")))?;
            if blobs.is_empty() {
                continue;
            }
            // Rows are read after the listing: a live upload's row predates its blob.
            let rows: HashSet<String> = fence::file_ids(&self.db, &mission.id)
                .await?
                .into_iter()
                .collect();
            for blob in blobs.iter().filter(|b| !rows.contains(*b)) {
                if self
                    .blobs
                    .delete(&mission.id, blob)
                    .await
                    .map_err(|e| Error::Unexpected(anyhow::anyhow!("deleting blob {blob}: {e}")))?
                {
                    tracing::info!(mission = %mission.id, %blob, "orphan blob deleted");
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Purges the mission's blobs until the store holds none (an upload may commit one after
    /// the first purge); an error if some keep appearing, so that no certificate is signed yet.
    pub(crate) async fn check_store_empty(&self, mission_id: &str) -> Result<()> {
        for _ in 0..EMPTY_CHECKS {
            let left = self
                .blobs
                .list(mission_id)
                .await
                .map_err(|e| Error::Unexpected(anyhow::anyhow!("listing blobs: {e}")))?;
            if left.is_empty() {
                return Ok(());
            }
            self.blobs.purge_mission(mission_id).await.map_err(|e| {
                Error::Unexpected(anyhow::anyhow!("purging blobs of {mission_id}: {e}"))
            })?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(Error::Unexpected(anyhow::anyhow!(
            "blobs of mission {mission_id} keep appearing: its certificate waits for the next sweep"
        )))
    }
}

//! Expiry-driven destruction: the sweeper, closing a mission, per-file expiry, end-of-mission
//! warnings and the signed destruction certificate.
//!
//! Order of a mission's destruction: its key is shredded first (from that instant no copy of its
//! content can be read anywhere), then its blobs are deleted, then its file rows are replaced by
//! tombstones; the mission becomes `destroyed` and its certificate is signed. Every step is
//! idempotent, so a restart after a crash finishes the work. Each mission is handled under a
//! lock (an advisory lock on PostgreSQL), so several instances never destroy the same mission twice.

use super::audit::{Event, Outcome};
use super::permissions::{Decision, Role};
use super::{Actor, Core, Error, Result, Text};
use crate::clock::{from_millis, rfc3339, to_millis};
use crate::db::missions as missions_db;
use crate::db::retention as store;
use crate::db::{orgs, users, Engine};
use crate::domain::AuditAction;
use crate::domain::{File, FileState, Mission, MissionStatus};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use std::collections::HashMap;

/// The destruction method stated in certificates.
pub const METHOD: &str = "cryptographic erase (NIST SP 800-88) followed by deletion";

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Missions that ended.
    pub ended: usize,
    /// Files destroyed.
    pub files_destroyed: usize,
    /// Missions that reached `destroyed`.
    pub missions_destroyed: usize,
    /// Warnings sent (one per participant and kind; queued for a digest counts as sent).
    pub warnings_sent: usize,
    /// Notification digests sent.
    pub digests_sent: usize,
    /// Inactive accounts warned that they will be disabled.
    pub inactivity_warnings: usize,
    /// Inactive accounts disabled.
    pub accounts_disabled: usize,
}

fn system_event(action: AuditAction, mission_id: &str) -> Event {
    let mut e = Event::new(action, None);
    e.mission_id = Some(mission_id.to_owned());
    e
}

fn lock_key(mission_id: &str) -> i64 {
    let digest = sha2::Sha256::digest(format!("passerelle destruction {mission_id}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl Core {
    /// Runs `work` for a mission unless another instance is already working on it.
    async fn locked<T, F, Fut>(&self, mission_id: &str, work: F) -> Result<Option<T>>
    where
        T: Send + 'static,
        F: FnOnce(Core) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T>> + Send,
    {
        let core = self.clone();
        let mission_id = mission_id.to_owned();
        // A task of its own: a cancelled request cannot leave a lock held on a pooled connection.
        let task = tokio::spawn(async move {
            let local = core.destruction_lock.clone();
            let _local = local.lock().await;
            if core.db.engine != Engine::Postgres {
                return work(core).await.map(Some);
            }
            let mut conn = core
                .db
                .pool
                .acquire()
                .await
                .map_err(crate::db::DbError::from)?;
            let key = lock_key(&mission_id);
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut *conn)
                .await
                .map_err(crate::db::DbError::from)?;
            if !got {
                return Ok(None);
            }
            let result = work(core).await;
            if sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut *conn)
                .await
                .is_err()
            {
                drop(conn.detach());
            }
            result.map(Some)
        });
        task.await
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("destruction task: {e}")))?
    }

    /// One pass of the sweeper: warnings, missions whose end has passed, files past their own
    /// expiry, retained results past their date, abandoned uploads, inactive accounts.
    pub async fn sweep(&self) -> Result<SweepReport> {
        let mut report = SweepReport {
            warnings_sent: self.send_warnings().await?,
            ..Default::default()
        };
        let now = to_millis(self.clock.now());
        for id in store::due_to_end(&self.db, now).await? {
            let key = id.clone();
            if let Some((files, destroyed)) = self
                .locked(&key, move |core| async move {
                    core.end_mission_locked(&id, None).await
                })
                .await?
            {
                report.ended += 1;
                report.files_destroyed += files;
                report.missions_destroyed += usize::from(destroyed);
            }
        }
        for (file_id, mission_id) in store::expired_files(&self.db, now).await? {
            let done = self
                .locked(&mission_id.clone(), move |core| async move {
                    core.destroy_file_by_id(&file_id, "file expiry date reached")
                        .await
                })
                .await?;
            report.files_destroyed += done.map_or(0, usize::from);
        }
        for id in store::ended(&self.db).await? {
            let key = id.clone();
            if let Some((files, destroyed)) = self
                .locked(
                    &key,
                    move |core| async move { core.progress_ended(&id).await },
                )
                .await?
            {
                report.files_destroyed += files;
                report.missions_destroyed += usize::from(destroyed);
            }
        }
        self.sweep_abandoned_uploads().await?;
        self.sweep_orphan_blobs().await?;
        report.digests_sent = self.send_digests().await?;
        let inactive = self.sweep_inactive_accounts().await?;
        report.inactivity_warnings = inactive.warned;
        report.accounts_disabled = inactive.disabled;
        Ok(report)
    }

    /// Ends a mission now and starts its destruction (managers and platform admins).
    pub async fn close_mission(&self, actor: &Actor, mission_id: &str) -> Result<()> {
        self.closable(actor, mission_id).await?;
        let actor = actor.clone();
        let id = mission_id.to_owned();
        self.locked(mission_id, move |core| async move {
            core.end_mission_locked(&id, Some(&actor)).await
        })
        .await?;
        Ok(())
    }

    /// Ends a mission: access ends, deposits and unreleased results are destroyed, released
    /// results stay until their retention date. Returns (files destroyed, mission destroyed).
    async fn end_mission_locked(
        &self,
        mission_id: &str,
        actor: Option<&Actor>,
    ) -> Result<(usize, bool)> {
        let Some(mut mission) = missions_db::get(&self.db, mission_id).await? else {
            return Ok((0, false));
        };
        if !mission.status.still_running() {
            return Ok((0, false));
        }
        let now = to_millis(self.clock.now());
        let closed_at = actor.map(|_| now);
        if actor.is_some() {
            mission.ends_at = mission.ends_at.min(now);
        }
        mission.status = MissionStatus::Ended;
        {
            // No upload is between its row and its completion while the status changes.
            let _fence = self.upload_fence.write().await;
            store::set_state(&self.db, &mission, closed_at, None, None).await?;
            if let Some(a) = actor {
                store::set_closed_by(&self.db, mission_id, &a.user_id).await?;
            }
        }
        let mut event = match actor {
            Some(a) => Event::new(AuditAction::MissionClose, Some(a)),
            None => Event::new(AuditAction::MissionEnd, None),
        };
        event.mission_id = Some(mission_id.to_owned());
        self.audit.record(event, Outcome::Success).await?;
        if let Some(a) = actor {
            self.notify_mission_closed(a, &mission).await;
        }
        self.progress_ended(mission_id).await
    }

    /// Destroys what an ended mission may no longer keep, and the mission itself once nothing is left.
    async fn progress_ended(&self, mission_id: &str) -> Result<(usize, bool)> {
        let Some(mission) = missions_db::get(&self.db, mission_id).await? else {
            return Ok((0, false));
        };
        if mission.status != MissionStatus::Ended {
            return Ok((0, false));
        }
        let now = to_millis(self.clock.now());
        let files = store::all_files(&self.db, mission_id).await?;
        let keeps_something =
            !mission.retention_over(now) && files.iter().any(File::outlives_mission_end);
        if keeps_something {
            let mut destroyed = 0;
            for f in files.iter().filter(|f| !f.outlives_mission_end()) {
                self.destroy_file(f, "mission ended").await?;
                destroyed += 1;
            }
            return Ok((destroyed, false));
        }
        // Nothing may be kept: shred the key first, then delete everything, then certify.
        let count = files.len();
        self.finalize(&mission, files).await?;
        Ok((count, true))
    }

    /// Deletes one file's blob and replaces its row by a tombstone.
    async fn destroy_file(&self, f: &File, reason: &str) -> Result<()> {
        self.blobs
            .delete(&f.mission_id, &f.id)
            .await
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("deleting blob {}: {e}", f.id)))?;
        store::bury(&self.db, f, to_millis(self.clock.now()), reason).await?;
        if f.state == FileState::Stored {
            let mut event = system_event(AuditAction::FileDestroy, &f.mission_id);
            event.file_id = Some(f.id.clone());
            event.detail = Some(
                json!({ "name": f.name, "folder": f.folder, "size": f.size, "sha256": f.sha256, "reason": reason }),
            );
            self.audit.record(event, Outcome::Success).await?;
        }
        Ok(())
    }

    async fn destroy_file_by_id(&self, file_id: &str, reason: &str) -> Result<bool> {
        match crate::db::files::get(&self.db, file_id).await? {
            Some(f) if f.expired(to_millis(self.clock.now())) => {
                self.destroy_file(&f, reason).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Shreds the mission key, deletes what is left, marks the mission destroyed, signs the certificate.
    async fn finalize(&self, mission: &Mission, files: Vec<File>) -> Result<()> {
        self.blobs
            .keys()
            .destroy_mission_key(&mission.id)
            .await
            .map_err(|e| {
                Error::Unexpected(anyhow::anyhow!(
                    "shredding the key of mission {}: {e}",
                    mission.id
                ))
            })?;
        let key_time = to_millis(self.clock.now());
        store::set_state(&self.db, mission, None, Some(key_time), None).await?;
        for f in &files {
            self.destroy_file(f, "mission destroyed").await?;
        }
        // Stray blobs (an upload cut at the wrong instant) go too.
        self.blobs.purge_mission(&mission.id).await.map_err(|e| {
            Error::Unexpected(anyhow::anyhow!(
                "purging blobs of mission {}: {e}",
                mission.id
            ))
        })?;
        self.check_store_empty(&mission.id).await?;
        let mut destroyed = mission.clone();
        destroyed.status = MissionStatus::Destroyed;
        let now = to_millis(self.clock.now());
        store::set_state(&self.db, &destroyed, None, None, Some(now)).await?;
        let certificate = self.build_certificate(&mission.id).await?;
        let body = serde_json::to_string(&certificate).map_err(|e| Error::Unexpected(e.into()))?;
        if store::insert_certificate(&self.db, &mission.id, &body, now).await? {
            self.audit
                .record(
                    system_event(AuditAction::MissionDestroy, &mission.id)
                        .detail(json!({ "files": files.len() })),
                    Outcome::Success,
                )
                .await?;
            self.notify_mission_destroyed(&destroyed).await;
        }
        Ok(())
    }

    async fn build_certificate(&self, mission_id: &str) -> Result<Value> {
        let mission = missions_db::get(&self.db, mission_id)
            .await?
            .ok_or(Error::NotFound)?;
        let dates = store::dates(&self.db, mission_id)
            .await?
            .ok_or(Error::NotFound)?;
        let org_names: HashMap<String, String> = orgs::list(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let people: HashMap<String, String> = users::list(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect();
        let org = |id: &str| json!({ "id": id, "name": org_names.get(id) });
        let time = |ms: Option<i64>| ms.map(|t| rfc3339(from_millis(t)));
        let files: Vec<Value> = store::tombstones(&self.db, mission_id)
            .await?
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "name": t.name,
                    "size": t.size,
                    "sha256": t.sha256,
                    "folder": t.folder,
                    "organisation": org(&t.organisation_id),
                    "uploaded_by": { "id": t.uploaded_by, "display_name": people.get(&t.uploaded_by) },
                    "uploaded_at": rfc3339(from_millis(t.uploaded_at)),
                    "released": t.released,
                    "destroyed_at": rfc3339(from_millis(t.destroyed_at)),
                })
            })
            .collect();
        let key_destroyed = dates
            .key_destroyed_at
            .unwrap_or_else(|| to_millis(self.clock.now()));
        let export_days = i64::from(self.config.key_export_retention_days);
        let payload = json!({
            "type": "passerelle-destruction-certificate",
            "version": 1,
            "mission": {
                "id": mission.id,
                "name": mission.name,
                "purpose": mission.purpose,
                "controller_organisation": org(&mission.controller_organisation_id),
                "initial_ends_at": time(dates.initial_ends_at),
                "ends_at": rfc3339(from_millis(mission.ends_at)),
                "closed_at": time(dates.closed_at),
                // Additive: who closed the mission; null when it ended at its end date (expiry).
                "closed_by": dates.closed_by.as_deref().map(|id| json!({ "id": id, "display_name": people.get(id) })),
                "results_retained_until": time(mission.results_retained_until),
            },
            "files": files,
            "method": METHOD,
            // Additive: where the encrypted files were kept (a delete there leaves no copy).
            "storage": {
                "backend": self.blobs.backend().kind(),
                "country": self.blobs.backend().country(),
            },
            "key_destroyed_at": rfc3339(from_millis(key_destroyed)),
            "unreadable_in_live_gateway_from": rfc3339(from_millis(key_destroyed)),
            "unreadable_from_key_exports_from": rfc3339(from_millis(key_destroyed) + chrono::Duration::days(export_days)),
            "key_export_retention_days": export_days,
            "destroyed_at": time(dates.destroyed_at),
            "issued_at": rfc3339(self.clock.now()),
            "instance": {
                "name": self.config.instance_name,
                "key_id": self.signer.key_id(),
                "public_key": base64::engine::general_purpose::STANDARD.encode(self.signer.public().as_bytes()),
            },
        });
        self.signer
            .sign(payload)
            .map_err(|e| Error::Unexpected(e.into()))
    }

    /// A destroyed mission's certificate: platform admins, the mission's managers and its
    /// participants from the controller organisation (the permission table decides).
    pub async fn certificate(&self, actor: &Actor, mission_id: &str) -> Result<Value> {
        let (_, viewer) = self.viewer(actor, mission_id).await?;
        let held: Vec<Role> = missions_db::roles_of(&self.db, mission_id, &actor.user_id).await?;
        if !viewer.reads_certificate(&held) {
            return Err(Error::NotFound);
        }
        let body = store::certificate(&self.db, mission_id)
            .await?
            .ok_or(Error::NotFound)?;
        serde_json::from_str(&body).map_err(|e| Error::Unexpected(e.into()))
    }

    /// Sets or clears a file's own destruction date (whoever may delete it).
    pub async fn set_file_expiry(
        &self,
        actor: &Actor,
        file_id: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<File> {
        let file = crate::db::files::get(&self.db, file_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (_, viewer) = self.viewer(actor, &file.mission_id).await?;
        let facts = super::permissions::FileFacts::from(&file);
        let mut event = Event::new(AuditAction::FileExpiry, Some(actor));
        event.mission_id = Some(file.mission_id.clone());
        event.file_id = Some(file.id.clone());
        match viewer.file(&facts, super::permissions::FileAction::Delete) {
            Decision::Allow => {}
            d => self.decide(d, event.clone()).await?,
        }
        if matches!(expires_at, Some(t) if t <= self.clock.now()) {
            return Err(Error::InvalidRequest(Text::new(
                "La date de destruction doit être dans le futur.",
                "The destruction date must be in the future.",
            )));
        }
        store::set_file_expiry(&self.db, file_id, expires_at.map(to_millis)).await?;
        self.audit
            .record(
                event.detail(json!({ "expires_at": expires_at.map(rfc3339) })),
                Outcome::Success,
            )
            .await?;
        crate::db::files::get(&self.db, file_id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Tells participants 7 days and 1 day before a mission ends (once each).
    async fn send_warnings(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut sent = 0;
        for (kind, days) in [("7d", 7), ("1d", 1)] {
            let horizon = to_millis(now + chrono::Duration::days(days));
            for id in store::ending_before(&self.db, horizon).await? {
                let Some(mission) = missions_db::get(&self.db, &id).await? else {
                    continue;
                };
                if mission.end_passed(to_millis(now))
                    || !store::mark_warning(&self.db, &id, kind, to_millis(now)).await?
                {
                    continue;
                }
                sent += self.warn_participants(&mission, days).await?;
            }
        }
        Ok(sent)
    }

    async fn warn_participants(&self, mission: &Mission, days: i64) -> Result<usize> {
        let ends = from_millis(mission.ends_at);
        let when_fr = crate::clock::paris_fr(ends);
        let when_en = format!("{} (Paris time)", crate::clock::paris_en(ends));
        let (left_fr, left_en) = if days == 1 {
            ("demain".to_owned(), "tomorrow".to_owned())
        } else {
            (format!("dans {days} jours"), format!("in {days} days"))
        };
        let m = &mission.name;
        let note = super::notify::Note {
            kind: crate::domain::NotificationKind::MissionEnding,
            mission: mission.clone(),
            file_id: None,
            to: super::notify::To::Everyone,
            except: None,
            subject: Text::new(
                format!("La mission « {m} » se termine {left_fr}"),
                format!("Mission \"{m}\" ends {left_en}"),
            ),
            body: Text::new(
                format!(
                    "La mission « {m} » se termine {left_fr}, le {when_fr}.\n\
                     À cette date, les dépôts et les résultats non mis à disposition seront détruits, \
                     ainsi que tous les accès. Les résultats mis à disposition restent consultables par \
                     les destinataires jusqu'à leur date de conservation.\n\
                     Si la mission doit être prolongée, adressez-vous à son responsable."
                ),
                format!(
                    "The mission \"{m}\" ends {left_en}, on {when_en}.\n\
                     On that date, deposits and unreleased results will be destroyed, along with every access. \
                     Released results remain available to recipients until their retention date.\n\
                     If the mission must be extended, contact its manager."
                ),
            ),
            certificate_link: None,
        };
        // The sweeper is a background task already: the warnings go out before it moves on.
        let sent = self.notify_inline(note).await;
        let mut event = system_event(AuditAction::MissionWarning, &mission.id);
        event.detail = Some(json!({ "days_left": days, "recipients": sent }));
        self.audit.record(event, Outcome::Success).await?;
        Ok(sent)
    }
}

/// Housekeeping the sweeper also runs.
impl Core {
    /// Purges audit entries past the configured retention.
    pub async fn purge_audit(&self) -> Result<u64> {
        let before =
            self.clock.now() - chrono::Duration::days(i64::from(self.config.audit_retention_days));
        Ok(self.audit.purge_before(before).await?)
    }

    /// Removes uploads left unfinished for more than a day (a crash, a cut connection).
    pub async fn sweep_abandoned_uploads(&self) -> Result<usize> {
        let before = to_millis(self.clock.now() - chrono::Duration::days(1));
        self.remove_unfinished_uploads(before, "abandoned for more than a day")
            .await
    }

    /// At start-up: removes the uploads a previous run of the gateway left unfinished (the client
    /// never got its answer, so nothing is lost: it sends the file again). On SQLite the database
    /// belongs to this one process, so every unfinished upload is dead; on PostgreSQL another
    /// instance may be receiving one right now, so the sweeper's one-day rule applies instead.
    pub async fn recover_interrupted_uploads(&self) -> Result<usize> {
        if self.db.engine != Engine::Sqlite {
            return Ok(0);
        }
        let now = to_millis(self.clock.now()).saturating_add(1);
        self.remove_unfinished_uploads(now, "interrupted by a stop of the gateway")
            .await
    }

    async fn remove_unfinished_uploads(&self, before_ms: i64, why: &str) -> Result<usize> {
        let stale = crate::db::files::stale_uploads(&self.db, before_ms).await?;
        for f in &stale {
            let _ = self.blobs.delete(&f.mission_id, &f.id).await;
            crate::db::files::delete(&self.db, &f.id).await?;
            let mut event = system_event(AuditAction::FileUpload, &f.mission_id);
            event.file_id = Some(f.id.clone());
            event.detail = Some(json!({ "name": f.name, "folder": f.folder, "reason": why }));
            self.audit.record(event, Outcome::Failed).await?;
        }
        Ok(stale.len())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_differ_per_mission() {
        assert_ne!(super::lock_key("a"), super::lock_key("b"));
        assert_eq!(super::lock_key("a"), super::lock_key("a"));
    }
}

//! The tamper-evident audit trail.
//!
//! Each entry's hash is an HMAC-SHA-256, keyed by a key derived from the master key, over the
//! previous entry's hash and the entry's own fields. Editing, inserting or deleting a row breaks the
//! chain at that row, and without the master key nobody can forge a consistent replacement chain.

use crate::clock::{to_millis, SharedClock};
use crate::db::audit::{self as store, AuditRow};
use crate::db::{Db, DbError};
use crate::domain::AuditAction;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use zeroize::Zeroizing;

/// How an operation ended (the domain's word table).
pub use crate::domain::AuditOutcome as Outcome;

/// An event to record.
#[derive(Debug, Clone)]
pub struct Event {
    /// Acting user; `None` for the gateway itself.
    pub actor: Option<String>,
    /// The actor's organisation.
    pub organisation_id: Option<String>,
    /// Source address.
    pub ip: Option<String>,
    /// Action name, e.g. `auth.login`.
    pub action: AuditAction,
    /// Mission concerned.
    pub mission_id: Option<String>,
    /// File concerned.
    pub file_id: Option<String>,
    /// Other target (user, organisation).
    pub target: Option<String>,
    /// Extra facts (never a secret).
    pub detail: Option<serde_json::Value>,
}

impl Event {
    /// An event for `action` done by `actor` (if any).
    pub fn new(action: AuditAction, actor: Option<&super::Actor>) -> Self {
        Self {
            action,
            actor: actor.map(|a| a.user_id.clone()),
            organisation_id: actor.map(|a| a.organisation_id.clone()),
            ip: actor.map(|a| a.ip.clone()),
            mission_id: None,
            file_id: None,
            target: None,
            detail: None,
        }
    }

    /// Sets the other target.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the extra facts.
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// The first broken link found by [`Audit::verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Broken {
    /// An entry is missing between two others (deleted).
    #[error("audit entry {expected} is missing: the chain jumps from entry {previous} to entry {found} (an entry was deleted)")]
    Gap {
        /// The last good entry.
        previous: i64,
        /// The entry expected next.
        expected: i64,
        /// The entry found instead.
        found: i64,
    },
    /// An entry does not name its predecessor's hash (inserted, reordered or predecessor edited).
    #[error("audit entry {0} does not link to the entry before it (an entry was inserted, replaced or reordered)")]
    Link(i64),
    /// An entry's contents do not match its hash (edited).
    #[error("audit entry {0} has been modified: its contents no longer match its hash")]
    Edited(i64),
}

/// Result of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// Last sequence number checked.
    pub last_seq: i64,
}

/// The audit trail service.
#[derive(Clone)]
pub struct Audit {
    db: Db,
    clock: SharedClock,
    key: Arc<Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Audit")
    }
}

fn chain_hash(key: &[u8; 32], prev: &str, row: &AuditRow) -> String {
    let fields = serde_json::json!([
        row.seq,
        row.at,
        row.actor,
        row.organisation_id,
        row.ip,
        row.action,
        row.mission_id,
        row.file_id,
        row.target,
        row.outcome,
        row.detail,
    ]);
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this arm cannot be reached with 32 bytes.
        Err(_) => return String::new(),
    };
    mac.update(prev.as_bytes());
    mac.update(b"\n");
    mac.update(fields.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl Audit {
    /// The audit trail over `db`, chained with `key`.
    pub fn new(db: Db, clock: SharedClock, key: Zeroizing<[u8; 32]>) -> Self {
        Self {
            db,
            clock,
            key: Arc::new(key),
        }
    }

    /// Appends an event with its outcome.
    pub async fn record(&self, event: Event, outcome: Outcome) -> Result<i64, DbError> {
        let key = self.key.clone();
        let at = to_millis(self.clock.now());
        let detail = event.detail.map(|d| d.to_string());
        let row = store::append(&self.db, move |seq, prev| {
            let mut row = AuditRow {
                seq,
                at,
                actor: event.actor,
                organisation_id: event.organisation_id,
                ip: event.ip,
                action: event.action.as_str().to_owned(),
                mission_id: event.mission_id,
                file_id: event.file_id,
                target: event.target,
                outcome: outcome.as_str().to_owned(),
                detail,
                prev_hash: prev.to_owned(),
                hash: String::new(),
            };
            row.hash = chain_hash(&key, prev, &row);
            row
        })
        .await?;
        Ok(row.seq)
    }

    /// Walks the whole stored chain and names the first broken link.
    pub async fn verify(&self) -> Result<Result<Verified, Broken>, DbError> {
        let (mut last_seq, mut last_hash) = store::anchor(&self.db).await?;
        let mut entries = 0u64;
        loop {
            let page = store::page(&self.db, last_seq, 1000).await?;
            if page.is_empty() {
                return Ok(Ok(Verified { entries, last_seq }));
            }
            for row in page {
                if row.seq != last_seq + 1 {
                    return Ok(Err(Broken::Gap {
                        previous: last_seq,
                        expected: last_seq + 1,
                        found: row.seq,
                    }));
                }
                if row.prev_hash != last_hash {
                    return Ok(Err(Broken::Link(row.seq)));
                }
                if chain_hash(&self.key, &row.prev_hash, &row) != row.hash {
                    return Ok(Err(Broken::Edited(row.seq)));
                }
                last_seq = row.seq;
                last_hash = row.hash;
                entries += 1;
            }
        }
    }

    /// Purges entries recorded before `before`, keeping the chain verifiable.
    pub async fn purge_before(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, DbError> {
        store::purge_before(&self.db, to_millis(before)).await
    }
}

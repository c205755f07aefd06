//! An entry of the audit trail as read back: who, when, what operation, on which data, how it
//! ended. (The hash chain that protects it stays in `db/` and `service::audit`.)

use super::AuditAction;

super::stored_words! {
    /// How an audited operation ended.
    AuditOutcome, "audit outcome" {
        /// It was done.
        Success => "success",
        /// A rule refused it (permissions, disclosure check, quarantine, throttling).
        Denied => "denied",
        /// It failed: wrong credentials, invalid input, an error.
        Failed => "failed",
    }
}

/// One recorded event, its action and outcome parsed at the database boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (ms, UTC).
    pub at: i64,
    /// Acting user id; `None` for the gateway itself.
    pub actor: Option<String>,
    /// The actor's organisation.
    pub organisation_id: Option<String>,
    /// Source address.
    pub ip: Option<String>,
    /// What was done.
    pub action: AuditAction,
    /// Mission concerned.
    pub mission_id: Option<String>,
    /// File concerned.
    pub file_id: Option<String>,
    /// Other target (a user id, an organisation id).
    pub target: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Extra facts as JSON (never a secret).
    pub detail: Option<String>,
}

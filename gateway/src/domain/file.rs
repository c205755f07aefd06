//! Files of a mission's folders: their folder, their upload state, their content check.

super::stored_words! {
    /// A mission folder.
    Folder, "folder" {
        /// Raw files from depositors.
        Deposits => "deposits",
        /// Aggregated results from processors.
        Results => "results",
    }
}

super::stored_words! {
    /// Where an upload stands.
    FileState, "file state" {
        /// Bytes are arriving: the file is nobody's yet.
        Uploading => "uploading",
        /// Stored with its size, digest and verdict.
        Stored => "stored",
    }
}

super::stored_words! {
    /// The content check's verdict on a file.
    CheckStatus, "check status" {
        /// Not yet scanned by the antivirus (either folder): held with its organisation.
        PendingScan => "pending_scan",
        /// A deposit with no direct identifier found.
        Clean => "clean",
        /// A deposit held by the identifier scan, visible to its organisation only.
        Quarantined => "quarantined",
        /// A quarantined deposit its depositor let through, with a justification.
        Confirmed => "confirmed",
        /// A result that passed the disclosure check.
        Passed => "passed",
        /// A result that failed the disclosure check.
        Failed => "failed",
        /// A failed result released by the controller's manager, with a justification.
        Overridden => "overridden",
    }
}

/// A file of a mission, as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Opaque id (also the blob id).
    pub id: String,
    /// Its mission.
    pub mission_id: String,
    /// Its folder.
    pub folder: Folder,
    /// The uploader's organisation.
    pub organisation_id: String,
    /// Display name (sanitised).
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// The uploader.
    pub uploaded_by: String,
    /// Upload instant (ms).
    pub uploaded_at: i64,
    /// Released to recipients.
    pub released: bool,
    /// Release instant (ms).
    pub released_at: Option<i64>,
    /// The file's own destruction date (ms).
    pub expires_at: Option<i64>,
    /// Where its upload stands.
    pub state: FileState,
    /// The content check's verdict; `None` before any check.
    pub check_status: Option<CheckStatus>,
    /// The findings or violations, as JSON.
    pub check_report: Option<String>,
    /// Who confirmed or overrode, when and why, as JSON.
    pub check_decision: Option<String>,
}

impl File {
    /// Whether the check holds this file with its organisation (quarantine, or awaiting the
    /// antivirus).
    pub fn is_held(&self) -> bool {
        matches!(
            self.check_status,
            Some(CheckStatus::Quarantined | CheckStatus::PendingScan)
        )
    }

    /// Whether the file is kept after its mission ends (until the results' retention date): a
    /// stored, released result.
    pub fn outlives_mission_end(&self) -> bool {
        self.state == FileState::Stored && self.released && self.folder == Folder::Results
    }

    /// Whether its own destruction date has come at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now_ms)
    }

    /// What the identifier scan found, as stored (a deposit).
    pub fn findings(&self) -> Vec<super::Finding> {
        super::report::read(self.check_report.as_deref())
    }

    /// The cells the disclosure check refused, as stored (a result).
    pub fn violations(&self) -> Vec<super::Violation> {
        super::report::read(self.check_report.as_deref())
    }

    /// Whether the check status is `status`.
    pub fn check_is(&self, status: CheckStatus) -> bool {
        self.check_status == Some(status)
    }
}

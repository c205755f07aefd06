//! Views of files.

use super::{maybe_time, time, Checks};
use crate::domain::File as FileRow;
use crate::service::receipts::Receipt;
use serde::Serialize;
use utoipa::ToSchema;

/// A file's metadata.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = File)]
pub(crate) struct FileView {
    /// The file id.
    pub id: String,
    /// The name it was uploaded with (for display only).
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content, in hex.
    pub sha256: String,
    /// `deposits` or `results`.
    #[schema(examples("deposits"))]
    pub folder: String,
    /// The uploader's organisation.
    pub organisation_id: String,
    /// The uploader's user id.
    pub uploaded_by: String,
    /// When it was uploaded.
    pub uploaded_at: String,
    /// Whether a result was released to recipients.
    pub released: bool,
    /// When it was released.
    pub released_at: Option<String>,
    /// Its own destruction date, if it has one.
    pub expires_at: Option<String>,
    /// Its mission.
    pub mission_id: String,
    /// The content checks, `null` before any check.
    #[schema(value_type = Option<Checks>)]
    pub checks: Option<crate::domain::Checks>,
}

impl From<&FileRow> for FileView {
    fn from(f: &FileRow) -> Self {
        Self {
            id: f.id.clone(),
            name: f.name.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            folder: f.folder.to_string(),
            organisation_id: f.organisation_id.clone(),
            uploaded_by: f.uploaded_by.clone(),
            uploaded_at: time(f.uploaded_at),
            released: f.released,
            released_at: maybe_time(f.released_at),
            expires_at: maybe_time(f.expires_at),
            mission_id: f.mission_id.clone(),
            checks: crate::service::content::file_checks(f),
        }
    }
}

/// `GET /api/v1/missions/{id}/files`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FileList {
    /// Only what the caller's role may see.
    pub files: Vec<FileView>,
}

impl From<&[FileRow]> for FileList {
    fn from(rows: &[FileRow]) -> Self {
        Self {
            files: rows.iter().map(FileView::from).collect(),
        }
    }
}

/// One download of a file.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DownloadView {
    /// Who downloaded.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
    /// Their organisation.
    pub organisation_id: String,
    /// When.
    pub at: String,
    /// Whether only a byte range was read (`Range`).
    pub partial: bool,
}

/// `GET /api/v1/files/{id}/downloads`: the file's download receipt.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DownloadList {
    /// The newest 500 downloads at most, oldest first.
    pub downloads: Vec<DownloadView>,
    /// Additive: how many downloads there were in all (more than listed when over 500).
    pub total: i64,
}

impl From<&Receipt> for DownloadList {
    fn from(r: &Receipt) -> Self {
        Self {
            downloads: r
                .downloads
                .iter()
                .map(|d| DownloadView {
                    user_id: d.user_id.clone(),
                    display_name: d.display_name.clone(),
                    organisation_id: d.organisation_id.clone(),
                    at: time(d.at),
                    partial: d.partial,
                })
                .collect(),
            total: r.total,
        }
    }
}

//! The encrypted blobs of a backup, whatever the backend holding them (local disk or S3).
//!
//! A backup reads every blob of every mission still alive in the exported rows through the
//! backend's `list` and `open`, and writes it to `DIR/blobs/<mission>/<blob>`: the layout of the
//! local blob folder, so a backup made on S3 restores onto local disk and the other way round. A
//! restore writes them back through `begin_put` … `commit`. Both stream in blocks: a blob is never
//! whole in memory. Blobs stay ciphertext throughout; no key is read.

use super::{io, AtomicFile, BackupError};
use bytes::Bytes;
use serde_json::Value;
use std::path::{Path, PathBuf};
use storage::{Backend, StorageError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Bytes read from the backend per request (one ranged GET on S3).
const READ_BLOCK: usize = 4 << 20;
/// Bytes handed to an upload per write (what [`storage::BlobUpload::write`] expects).
const WRITE_BLOCK: usize = 1 << 20;

/// The missions whose blobs a backup keeps and a restore writes back: those of the exported
/// `missions` rows that are not destroyed (a destroyed mission has no key and keeps no blob).
pub(super) fn live_missions(data: &Value) -> Vec<String> {
    let mut ids: Vec<String> = data["missions"]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_object)
                .filter_map(crate::db::backup::live_mission)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Copies every blob of `missions` from `backend` into `to/<mission>/<blob>`; returns how many.
///
/// A blob deleted after the database snapshot (a file withdrawn, a mission destroyed meanwhile)
/// is merely missing from the backup, as the snapshot order intends.
pub(super) async fn copy_out(
    backend: &dyn Backend,
    missions: &[String],
    to: &Path,
) -> Result<u64, BackupError> {
    tokio::fs::create_dir_all(to)
        .await
        .map_err(|e| io(format!("{} cannot be created: {e}", to.display())))?;
    let mut copied = 0;
    for mission in missions {
        let ids = backend
            .list(mission)
            .await
            .map_err(|e| io(format!("listing the blobs of mission {mission}: {e}")))?;
        if ids.is_empty() {
            continue;
        }
        let dir = to.join(mission);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io(format!("{} cannot be created: {e}", dir.display())))?;
        for blob in ids {
            // Written under a temporary name (which a restore skips), flushed, then renamed; a
            // blob gone since the listing leaves nothing (the temporary file goes with `file`).
            let mut file = AtomicFile::create(&dir.join(&blob)).await?;
            match copy_one_out(backend, mission, &blob, &mut file.file).await {
                Ok(()) => {
                    file.commit().await?;
                    copied += 1;
                }
                Err(StorageError::NotFound { .. }) => {}
                Err(e) => {
                    return Err(io(format!(
                        "copying blob {blob} of mission {mission} into the backup: {e}"
                    )));
                }
            }
        }
        sync_dir(&dir).await;
    }
    sync_dir(to).await;
    Ok(copied)
}

/// Flushes a folder's entries (the renames into it) to disk; best effort where a platform cannot.
pub(super) async fn sync_dir(dir: &Path) {
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
}

async fn copy_one_out(
    backend: &dyn Backend,
    mission: &str,
    blob: &str,
    file: &mut tokio::fs::File,
) -> storage::Result<()> {
    let source = backend.open(mission, blob).await?;
    let io_err = |e: std::io::Error| StorageError::io(format!("writing blob {blob}"), e);
    let len = source.len();
    let mut offset = 0u64;
    while offset < len {
        let n = usize::try_from(len - offset).map_or(READ_BLOCK, |left| left.min(READ_BLOCK));
        let block = source.read_at(offset, n).await?;
        file.write_all(&block).await.map_err(io_err)?;
        offset += n as u64;
    }
    file.flush().await.map_err(io_err)
}

/// A blob file of a backup: its mission, its id and where it is.
pub(super) struct BackedUp {
    mission: String,
    blob: String,
    path: PathBuf,
}

/// The blob files of the backup in `from` for `missions` (others are left out: a destroyed
/// mission's blobs are never written back, even if an older backup holds some).
pub(super) fn backed_up(from: &Path, missions: &[String]) -> Result<Vec<BackedUp>, BackupError> {
    let mut found = Vec::new();
    for mission in missions {
        let dir = from.join(mission);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(format!("reading {}: {e}", dir.display()))),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(format!("reading {}: {e}", dir.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Temporary files of the local backend start with a dot (`.tmp-…`).
            if name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            found.push(BackedUp {
                mission: mission.clone(),
                blob: name,
                path: entry.path(),
            });
        }
    }
    found.sort_by(|a, b| (&a.mission, &a.blob).cmp(&(&b.mission, &b.blob)));
    Ok(found)
}

/// Refuses a blob store that already holds a blob of one of `missions`: a restore never
/// overwrites nor mixes with blobs it did not write.
pub(super) async fn ensure_none(
    backend: &dyn Backend,
    missions: &[String],
) -> Result<(), BackupError> {
    for mission in missions {
        let ids = backend
            .list(mission)
            .await
            .map_err(|e| io(format!("listing the blobs of mission {mission}: {e}")))?;
        if !ids.is_empty() {
            return Err(BackupError::NotEmpty(format!(
                "the blob store ({}) already holds {} blob(s) of mission {mission}: restore into an empty one \
                 (a new blob folder, or a new bucket or prefix); nothing was written",
                backend.describe(),
                ids.len()
            )));
        }
    }
    Ok(())
}

/// Writes the backed-up blobs through `backend` (`begin_put` … `commit`); returns how many.
pub(super) async fn copy_in(backend: &dyn Backend, blobs: &[BackedUp]) -> Result<u64, BackupError> {
    let mut written = 0;
    for b in blobs {
        copy_one_in(backend, b).await.map_err(|e| match e {
            StorageError::AlreadyExists { .. } => BackupError::NotEmpty(format!(
                "{e}: the blob store ({}) is not empty, restore into an empty one",
                backend.describe()
            )),
            e => io(format!(
                "restoring blob {} of mission {}: {e}",
                b.blob, b.mission
            )),
        })?;
        written += 1;
    }
    Ok(written)
}

async fn copy_one_in(backend: &dyn Backend, b: &BackedUp) -> storage::Result<()> {
    let io_err = |e: std::io::Error| StorageError::io(format!("reading {}", b.path.display()), e);
    let mut file = tokio::fs::File::open(&b.path).await.map_err(io_err)?;
    let mut upload = backend.begin_put(&b.mission, &b.blob).await?;
    loop {
        let mut block = Vec::with_capacity(WRITE_BLOCK);
        let read = (&mut file)
            .take(WRITE_BLOCK as u64)
            .read_to_end(&mut block)
            .await;
        let result = match read {
            Ok(0) => break,
            Ok(_) => upload.write(Bytes::from(block)).await,
            Err(e) => Err(io_err(e)),
        };
        if let Err(e) = result {
            let _ = upload.abort().await;
            return Err(e);
        }
    }
    upload.commit().await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn destroyed_missions_keep_no_blob() {
        let data = json!({"missions": {"rows": [
            {"id": "m-b", "status": "active"},
            {"id": "m-d", "status": "destroyed"},
            {"id": "m-a", "status": "ended"},
        ]}});
        assert_eq!(live_missions(&data), ["m-a", "m-b"]);
        assert!(live_missions(&json!({})).is_empty());

        // A restore writes back only live missions' committed blobs, never a temporary file.
        let dir = tempfile::tempdir().unwrap();
        for (mission, blob) in [
            ("m-a", "b1"),
            ("m-a", ".tmp-x"),
            ("m-d", "b2"),
            ("m-b", "b3"),
        ] {
            std::fs::create_dir_all(dir.path().join(mission)).unwrap();
            std::fs::write(dir.path().join(mission).join(blob), b"ciphertext").unwrap();
        }
        let found = backed_up(dir.path(), &live_missions(&data)).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|b| (b.mission.as_str(), b.blob.as_str()))
            .collect();
        assert_eq!(names, [("m-a", "b1"), ("m-b", "b3")]);
    }
}

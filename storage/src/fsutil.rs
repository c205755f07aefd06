//! Small filesystem helpers shared by the key store, the master key and the local backend:
//! the temp file → fsync → rename → fsync directory dance that makes a write all-or-nothing.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::error::{Result, StorageError};

/// Prefix of every temporary file this crate creates. Valid ids never start with a dot, so a
/// temporary file can never carry a final name, and anything with this prefix is a leftover
/// of an interrupted write once no write is running.
pub(crate) const TMP_PREFIX: &str = ".tmp-";

/// A fresh temporary file name for `final_name`.
pub(crate) fn tmp_name(final_name: &str) -> String {
    let mut r = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut r);
    format!("{TMP_PREFIX}{final_name}-{}", hex::encode(r))
}

/// Flushes a directory's entries (new, renamed or removed files) to disk.
pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(format!("syncing directory {}", dir.display()), e))
}

/// Creates `dir` (mode 0700 when `private`) and its parents if missing.
pub(crate) fn ensure_dir(dir: &Path, private: bool) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    if private {
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| StorageError::io(format!("creating directory {}", dir.display()), e))?;
    if let Some(parent) = dir.parent() {
        fsync_dir(parent)?;
    }
    Ok(())
}

/// Opens a new temporary file in `dir` with `mode`, never replacing anything.
pub(crate) fn create_tmp(dir: &Path, final_name: &str, mode: u32) -> Result<(File, PathBuf)> {
    let path = dir.join(tmp_name(final_name));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)
        .map_err(|e| StorageError::io(format!("creating {}", path.display()), e))?;
    Ok((file, path))
}

/// Writes `bytes` to `dir/name` atomically: a reader sees the old content or the new, never a mix,
/// and after return the new content survives a crash.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
    let (mut file, tmp) = create_tmp(dir, name, mode)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(StorageError::io(format!("writing {}", tmp.display()), e));
    }
    let dest = dir.join(name);
    if let Err(e) = fs::rename(&tmp, &dest) {
        let _ = fs::remove_file(&tmp);
        return Err(StorageError::io(
            format!("renaming to {}", dest.display()),
            e,
        ));
    }
    fsync_dir(dir)
}

/// Removes leftover temporary files in `dir` (not recursive). Returns how many were removed.
pub(crate) fn sweep_tmp(dir: &Path) -> Result<usize> {
    let mut removed = 0;
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(StorageError::io(format!("listing {}", dir.display()), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
        if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            let p = entry.path();
            fs::remove_file(&p)
                .map_err(|e| StorageError::io(format!("removing leftover {}", p.display()), e))?;
            removed += 1;
        }
    }
    if removed > 0 {
        fsync_dir(dir)?;
    }
    Ok(removed)
}

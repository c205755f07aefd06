//! Where wrapped keys live: the [`KeyRecords`] trait, and [`DirRecords`], its implementation as
//! one file per key in a directory (the gateway keeps its keys in its database instead, and uses
//! [`migrate_dir`] once to move an older installation's key directory there).
//!
//! A record is the self-describing wrapped key built by [`crate::KeyStore`] (magic, version,
//! master key id, key id, nonce, AES-256-GCM wrapped key, tag): never a key in clear.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use crate::error::{check_id, Result, StorageError};
use crate::fsutil;

/// The two kinds of key records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// A mission's data key (destroyed with the mission).
    Mission,
    /// A key for an internal purpose of the application (never destroyed).
    Service,
}

impl KeyKind {
    /// The stable name of the kind (`mission`, `service`). Do not change.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Mission => "mission",
            KeyKind::Service => "service",
        }
    }

    /// Suffix of the file of such a record in a key directory (and in key exports). Do not change.
    pub fn suffix(self) -> &'static str {
        match self {
            KeyKind::Mission => ".key",
            KeyKind::Service => ".service",
        }
    }
}

/// One wrapped key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Its kind.
    pub kind: KeyKind,
    /// The mission id or the purpose.
    pub name: String,
    /// The wrapped key, as built by [`crate::KeyStore`].
    pub wrapped: Vec<u8>,
}

/// A place for wrapped keys. Implementations must make [`KeyRecords::insert`] atomic (two
/// instances creating the same service key: one wins, the other reads the winner's) and
/// [`KeyRecords::destroy`] final (a destroyed mission key can never be stored again).
pub trait KeyRecords: Send + Sync + fmt::Debug {
    /// The record `kind`/`name`, if stored.
    fn load<'a>(&'a self, kind: KeyKind, name: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;
    /// Stores a new record; `false` (storing nothing) if one is already there, or if `name` is
    /// a mission whose key was destroyed.
    fn insert<'a>(&'a self, record: &'a KeyRecord) -> BoxFuture<'a, Result<bool>>;
    /// True if the key of mission `name` was destroyed.
    fn is_destroyed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool>>;
    /// Marks mission `name` destroyed, overwrites its record with meaningless bytes and removes
    /// it. Idempotent.
    fn destroy<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>>;
    /// Names of the stored records of `kind` (for missions: live ones only), sorted.
    fn list(&self, kind: KeyKind) -> BoxFuture<'_, Result<Vec<String>>>;
    /// Missions whose key was destroyed, sorted.
    fn destroyed(&self) -> BoxFuture<'_, Result<Vec<String>>>;
    /// Replaces existing records by their rewrapped versions, now sealed by master key
    /// `master_id` (all at once where the place allows it). Records of missions destroyed
    /// meanwhile are left destroyed.
    fn rewrap<'a>(
        &'a self,
        records: &'a [KeyRecord],
        master_id: &'a str,
    ) -> BoxFuture<'a, Result<()>>;
    /// Where a record lives, for messages.
    fn location(&self, kind: KeyKind, name: &str) -> PathBuf;
}

/// Suffix of tombstones left by destruction.
const TOMBSTONE_SUFFIX: &str = ".destroyed";

/// Key records as files `<name>.key`, `<name>.service` and `<name>.destroyed` in a directory.
#[derive(Debug, Clone)]
pub struct DirRecords {
    dir: PathBuf,
}

impl DirRecords {
    /// Opens (creating it with mode 0700 if needed) the directory `dir`; leftover temporary
    /// files of an interrupted write are removed.
    pub fn open(dir: PathBuf) -> Result<DirRecords> {
        fsutil::ensure_dir(&dir, true)?;
        fsutil::sweep_tmp(&dir)?;
        Ok(DirRecords { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, kind: KeyKind, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{}", kind.suffix()))
    }

    fn tombstone(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{TOMBSTONE_SUFFIX}"))
    }

    fn read(&self, kind: KeyKind, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(kind, name);
        match fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io(format!("reading {}", path.display()), e)),
        }
    }

    fn list_suffix(&self, suffix: &str) -> Result<Vec<String>> {
        let dir = &self.dir;
        let mut ids = Vec::new();
        let entries = fs::read_dir(dir)
            .map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(m) = name.strip_suffix(suffix) {
                if check_id("mission", m).is_ok() {
                    ids.push(m.to_owned());
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    fn insert_sync(&self, record: &KeyRecord) -> Result<bool> {
        if record.kind == KeyKind::Mission && self.tombstone(&record.name).exists() {
            return Ok(false);
        }
        if self.path(record.kind, &record.name).exists() {
            return Ok(false);
        }
        let file = format!("{}{}", record.name, record.kind.suffix());
        fsutil::write_atomic(&self.dir, &file, &record.wrapped, 0o600)?;
        Ok(true)
    }

    fn destroy_sync(&self, name: &str) -> Result<()> {
        // Tombstone first: if we crash after it, the key is already unusable and a second call
        // finishes the job.
        if !self.tombstone(name).exists() {
            fsutil::write_atomic(
                &self.dir,
                &format!("{name}{TOMBSTONE_SUFFIX}"),
                b"destroyed\n",
                0o600,
            )?;
        }
        shred_file(&self.path(KeyKind::Mission, name))?;
        fsutil::fsync_dir(&self.dir)
    }
}

/// Overwrites `path` with zeros, fsyncs it and removes it; nothing if it is absent.
fn shred_file(path: &Path) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) => {
            let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
            let overwrite = OpenOptions::new().write(true).open(path).and_then(|mut f| {
                f.write_all(&zeros)?;
                f.sync_all()
            });
            overwrite
                .map_err(|e| StorageError::io(format!("overwriting {}", path.display()), e))?;
            fs::remove_file(path)
                .map_err(|e| StorageError::io(format!("removing {}", path.display()), e))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io(
            format!("inspecting {}", path.display()),
            e,
        )),
    }
}

impl KeyRecords for DirRecords {
    fn load<'a>(&'a self, kind: KeyKind, name: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move { self.read(kind, name) })
    }

    fn insert<'a>(&'a self, record: &'a KeyRecord) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { self.insert_sync(record) })
    }

    fn is_destroyed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { Ok(self.tombstone(name).exists()) })
    }

    fn destroy<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.destroy_sync(name) })
    }

    fn list(&self, kind: KeyKind) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move {
            let mut ids = self.list_suffix(kind.suffix())?;
            if kind == KeyKind::Mission {
                ids.retain(|m| !self.tombstone(m).exists());
            }
            Ok(ids)
        })
    }

    fn destroyed(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move { self.list_suffix(TOMBSTONE_SUFFIX) })
    }

    fn rewrap<'a>(
        &'a self,
        records: &'a [KeyRecord],
        _master_id: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        // One atomic replacement per file: each records its master key, so an interrupted
        // rotation resumes where it stopped.
        Box::pin(async move {
            for r in records {
                if r.kind == KeyKind::Mission && self.tombstone(&r.name).exists() {
                    continue;
                }
                let file = format!("{}{}", r.name, r.kind.suffix());
                fsutil::write_atomic(&self.dir, &file, &r.wrapped, 0o600)?;
            }
            Ok(())
        })
    }

    fn location(&self, kind: KeyKind, name: &str) -> PathBuf {
        self.path(kind, name)
    }
}

/// Moves the key directory `dir` of an older installation into `target`, once: every record
/// and tombstone is copied (as stored, still wrapped; records already in `target` are kept),
/// then every file is overwritten with zeros and removed, and the directory too. Running it
/// again after an interruption finishes the job; without a directory it does nothing.
/// Returns how many key records were copied.
pub async fn migrate_dir(dir: &Path, target: &dyn KeyRecords) -> Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let source = DirRecords::open(dir.to_owned())?;
    let mut copied = 0;
    for kind in [KeyKind::Service, KeyKind::Mission] {
        for name in source.list(kind).await? {
            if let Some(wrapped) = source.read(kind, &name)? {
                let record = KeyRecord {
                    kind,
                    name,
                    wrapped,
                };
                if target.insert(&record).await? {
                    copied += 1;
                }
            }
        }
    }
    for name in source.list_suffix(TOMBSTONE_SUFFIX)? {
        target.destroy(&name).await?;
    }
    let entries =
        fs::read_dir(dir).map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
        shred_file(&entry.path())?;
    }
    fsutil::fsync_dir(dir)?;
    fs::remove_dir(dir).map_err(|e| StorageError::io(format!("removing {}", dir.display()), e))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fsutil::fsync_dir(parent)?;
    }
    Ok(copied)
}

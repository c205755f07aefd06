//! Backups that never hold a key, dated key exports, and restoring from both.
//!
//! A backup (`passerelle backup DIR`) holds a consistent snapshot of the database and the
//! encrypted blobs, and no key at all: kept for years, it can never revive a destroyed mission.
//! Keys travel separately in a key export (`passerelle keys export FILE`), sealed under the master
//! key with its date authenticated; `passerelle restore` refuses an export older than the
//! key-export retention. So destroyed content is unreadable in the live gateway from its
//! destruction, and from any copy whatsoever once the retention has passed.

use crate::app::{master_key, open};
use crate::clock::{rfc3339, SharedClock};
use crate::config::{Config, ConfigError};
use crate::db::{backup as snapshot, Db};
use crate::secret_files::write_private;
use base64::Engine as _;
use serde_json::{json, Value};
use std::path::Path;

mod blobs;

const EXPORT_SUBKEY: &str = "passerelle key export v1";
/// The database snapshot of a backup.
const DATABASE_FILE: &str = "database.json";
/// The manifest of a backup, written last.
const MANIFEST_FILE: &str = "manifest.json";
/// The manifest's `format`.
const MANIFEST_FORMAT: &str = "passerelle-backup";

/// A file of a backup, written under a temporary name beside its own: flushed to disk and renamed
/// into place by [`AtomicFile::commit`], removed if dropped before, so its name is either absent
/// or whole.
struct AtomicFile {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: tokio::fs::File,
    committed: bool,
}

impl AtomicFile {
    async fn create(path: &Path) -> Result<Self, BackupError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".tmp-{name}"));
        let file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| io(format!("writing {}: {e}", path.display())))?;
        Ok(Self {
            path: path.to_owned(),
            tmp,
            file,
            committed: false,
        })
    }

    async fn commit(mut self) -> Result<(), BackupError> {
        let failed = |e: std::io::Error| io(format!("writing {}: {e}", self.path.display()));
        self.file.sync_all().await.map_err(failed)?;
        tokio::fs::rename(&self.tmp, &self.path)
            .await
            .map_err(failed)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Why a backup, a key export or a restore failed; each message is worded for the operator.
///
/// The command line gives these their own exit code ([`BackupError::EXIT_CODE`]), apart from
/// [`BackupError::Config`], which keeps the configuration exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The gateway could not be opened with this configuration (master key, data directory, ...).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file or folder could not be read, created, copied or written.
    #[error("{0}")]
    Io(String),
    /// The backup or the key export is not one Passerelle wrote, was sealed under another master
    /// key, or has been altered.
    #[error("{0}")]
    Invalid(String),
    /// The key export is older than the key-export retention.
    #[error("{0}")]
    ExportTooOld(String),
    /// The destination already holds data (a folder, the key store or the database).
    #[error("{0}")]
    NotEmpty(String),
    /// The database, the key store or the sealing of the export refused an operation.
    #[error("{0}")]
    Store(String),
}

impl BackupError {
    /// The process exit code of a backup failure that is not a configuration problem.
    pub const EXIT_CODE: i32 = 3;
}

fn io(what: impl std::fmt::Display) -> BackupError {
    BackupError::Io(what.to_string())
}

fn invalid(what: impl std::fmt::Display) -> BackupError {
    BackupError::Invalid(what.to_string())
}

fn store(what: impl std::fmt::Display) -> BackupError {
    BackupError::Store(what.to_string())
}

fn ensure_empty_dir(dir: &Path) -> Result<(), BackupError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(BackupError::NotEmpty(format!(
            "{} already exists and is not empty: choose a new folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| io(format!("{} cannot be created: {e}", dir.display())))
}

/// Writes a backup of the database and the blobs into `dir` (new or empty). Returns a summary.
pub async fn backup(config: Config, clock: SharedClock, dir: &Path) -> Result<String, BackupError> {
    ensure_empty_dir(dir)?;
    let core = open(config, clock).await?;
    backup_with(&core, dir).await
}

/// [`backup`] with the services of a running gateway (the scheduled backups): the same code.
pub async fn backup_with(core: &crate::service::Core, dir: &Path) -> Result<String, BackupError> {
    ensure_empty_dir(dir)?;
    let clock = &core.clock;
    // The database first: a blob deleted afterwards is merely missing, one added afterwards unused.
    // Each file is written under a temporary name, flushed to disk and renamed; the manifest comes
    // last, so a folder without one is a backup that did not finish (restore refuses it).
    let mut database = AtomicFile::create(&dir.join(DATABASE_FILE)).await?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 16, &mut database.file);
    let exported = snapshot::export_to(&core.db, &mut out)
        .await
        .map_err(|e| match e {
            snapshot::ExportError::Write(e) => io(format!("writing the backup: {e}")),
            e => store(e),
        })?;
    drop(out);
    database.commit().await?;
    let rows = exported.rows;
    // The blobs of every mission alive in those rows, read through the backend (local or S3).
    let backend = core.blobs.backend();
    let blobs = blobs::copy_out(
        backend.as_ref(),
        &exported.live_missions,
        &dir.join("blobs"),
    )
    .await?;
    let manifest = json!({
        "format": MANIFEST_FORMAT,
        "version": 1,
        "created_at": rfc3339(clock.now()),
        "rows": rows,
        "blobs": blobs,
        "storage": {"backend": backend.kind(), "country": backend.country()},
        "keys": "none: restore needs a key export made less than key_export_retention_days ago",
    });
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(store)?;
    let mut file = AtomicFile::create(&dir.join(MANIFEST_FILE)).await?;
    {
        use tokio::io::AsyncWriteExt as _;
        file.file
            .write_all(&manifest)
            .await
            .map_err(|e| io(format!("writing the backup: {e}")))?;
    }
    file.commit().await?;
    blobs::sync_dir(dir).await;
    Ok(format!(
        "backup written to {}: {rows} rows, {blobs} encrypted blobs (from {}), no key",
        dir.display(),
        backend.kind()
    ))
}

/// Writes the key store, sealed under the master key and stamped with its date, to `file`.
pub async fn export_keys(
    config: Config,
    clock: SharedClock,
    file: &Path,
) -> Result<String, BackupError> {
    // Opening verifies the key store against the master key before anything is exported.
    let core = open(config.clone(), clock.clone()).await?;
    let master = master_key(&config)?;
    let mut keys = serde_json::Map::new();
    for r in core.blobs.keys().export_records().await.map_err(store)? {
        keys.insert(
            format!("{}{}", r.name, r.kind.suffix()),
            json!(base64::engine::general_purpose::STANDARD.encode(&r.wrapped)),
        );
    }
    let count = keys.len();
    let exported_at = rfc3339(clock.now());
    let sealer = storage::SecretBox::new(&master.derive_subkey(EXPORT_SUBKEY));
    let plain = zeroize::Zeroizing::new(serde_json::to_vec(&Value::Object(keys)).map_err(store)?);
    let sealed = sealer.seal(exported_at.as_bytes(), &plain).map_err(store)?;
    let doc = json!({
        "format": "passerelle-key-export",
        "version": 1,
        "exported_at": exported_at,
        "master_key_id": master.id(),
        "sealed": base64::engine::general_purpose::STANDARD.encode(sealed),
    });
    let bytes = serde_json::to_vec_pretty(&doc).map_err(store)?;
    write_private(file, &bytes)
        .map_err(|e| io(format!("{} cannot be created: {e}", file.display())))?;
    Ok(format!(
        "{count} key(s) exported to {} at {exported_at}",
        file.display()
    ))
}

/// Restores a backup and a key export into the configured (empty) data directory and database.
pub async fn restore(
    config: Config,
    clock: SharedClock,
    backup_dir: &Path,
    keys_file: &Path,
) -> Result<String, BackupError> {
    let text = std::fs::read_to_string(keys_file).map_err(|e| {
        invalid(format!(
            "the key export {} cannot be read: {e}",
            keys_file.display()
        ))
    })?;
    let doc: Value = serde_json::from_str(&text).map_err(|_| {
        invalid(format!(
            "{} is not a Passerelle key export",
            keys_file.display()
        ))
    })?;
    let exported_at = doc["exported_at"].as_str().unwrap_or_default().to_owned();
    let when = chrono::DateTime::parse_from_rfc3339(&exported_at)
        .map_err(|_| {
            invalid(format!(
                "{} is not a Passerelle key export",
                keys_file.display()
            ))
        })?
        .with_timezone(&chrono::Utc);
    let limit = i64::from(config.key_export_retention_days);
    if clock.now() - when > chrono::Duration::days(limit) {
        return Err(BackupError::ExportTooOld(format!(
            "the key export of {exported_at} is older than the key-export retention ({limit} days) and is refused: \
             missions destroyed since then must stay unreadable; use a more recent key export"
        )));
    }
    let master = master_key(&config)?;
    let sealer = storage::SecretBox::new(&master.derive_subkey(EXPORT_SUBKEY));
    let sealed = doc["sealed"]
        .as_str()
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .unwrap_or_default();
    let plain = sealer.open(exported_at.as_bytes(), &sealed).map_err(|_| {
        invalid(
            "the key export was not made with the configured master key, or it has been altered",
        )
    })?;
    let keys: serde_json::Map<String, Value> = serde_json::from_slice(&plain).map_err(invalid)?;

    // The target must be new: restoring over live data would mix two histories.
    let key_dir = config.key_dir();
    if std::fs::read_dir(&key_dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
    {
        return Err(BackupError::NotEmpty(format!(
            "the key store {} is not empty: restore into a new data directory",
            key_dir.display()
        )));
    }
    check_manifest(backup_dir)?;
    let data: Value =
        serde_json::from_slice(&std::fs::read(backup_dir.join(DATABASE_FILE)).map_err(|e| {
            invalid(format!(
                "{} is not a Passerelle backup: {e}",
                backup_dir.display()
            ))
        })?)
        .map_err(invalid)?;
    std::fs::create_dir_all(&config.data_dir).map_err(io)?;
    let db = Db::connect(&config.database_url()).await.map_err(store)?;
    let records = crate::db::keys::DbRecords::new(db.clone(), clock.clone());
    if !snapshot::is_empty(&db).await.map_err(store)? || !records.is_empty().await.map_err(store)? {
        return Err(BackupError::NotEmpty(
            "the database already holds accounts or keys: restore into a new database".to_owned(),
        ));
    }
    // The blobs go back through the configured backend, which must hold none of them: an
    // object is never overwritten (S3 refuses it anyway), nor mixed with blobs of another history.
    let backend = crate::blob_backend::open(&config).await?;
    let missions = blobs::live_missions(&data);
    let backed_up = blobs::backed_up(&backup_dir.join("blobs"), &missions)?;
    blobs::ensure_none(backend.as_ref(), &missions).await?;
    for (name, b64) in &keys {
        let (kind, id) = if let Some(m) = name.strip_suffix(storage::KeyKind::Mission.suffix()) {
            (storage::KeyKind::Mission, m)
        } else if let Some(p) = name.strip_suffix(storage::KeyKind::Service.suffix()) {
            (storage::KeyKind::Service, p)
        } else {
            continue;
        };
        let wrapped = b64
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .unwrap_or_default();
        let record = storage::KeyRecord {
            kind,
            name: id.to_owned(),
            wrapped,
        };
        storage::KeyRecords::insert(&records, &record)
            .await
            .map_err(store)?;
    }
    let blobs = blobs::copy_in(backend.as_ref(), &backed_up).await?;
    drop(backend);
    let rows = snapshot::import(&db, &data).await.map_err(store)?;
    drop(db);
    let core = open(config.clone(), clock).await?;
    // A mission destroyed before the backup stays destroyed, whatever the export held.
    let mut shredded = 0;
    for m in crate::db::missions::list_all(&core.db)
        .await
        .map_err(store)?
    {
        if m.status == crate::domain::MissionStatus::Destroyed {
            core.blobs
                .keys()
                .destroy_mission_key(&m.id)
                .await
                .map_err(store)?;
            shredded += 1;
        }
    }
    Ok(format!(
        "restored {rows} rows and {blobs} blobs (backed up from {}, written to {}) with {} key(s) exported at {exported_at}; {shredded} destroyed mission(s) kept destroyed",
        blobs_from(backup_dir),
        core.blobs.backend().kind(),
        keys.len()
    ))
}

/// Refuses a folder that is not a finished Passerelle backup: its manifest, written last, is
/// missing (the backup was interrupted) or is not one.
fn check_manifest(backup_dir: &Path) -> Result<(), BackupError> {
    let path = backup_dir.join(MANIFEST_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(invalid(format!(
                "{} holds no {MANIFEST_FILE}: it is not a finished Passerelle backup (a backup \
                 interrupted before its end has none); use another backup",
                backup_dir.display()
            )))
        }
        Err(e) => return Err(invalid(format!("{} cannot be read: {e}", path.display()))),
    };
    let manifest: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if manifest["format"] != MANIFEST_FORMAT {
        return Err(invalid(format!(
            "{} is not the manifest of a Passerelle backup",
            path.display()
        )));
    }
    Ok(())
}

/// The backend a backup's blobs came from, as its manifest states (`local` before it did).
fn blobs_from(backup_dir: &Path) -> String {
    std::fs::read(backup_dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .map_or_else(
            || "an unknown backend".to_owned(),
            |m| {
                m["storage"]["backend"]
                    .as_str()
                    .unwrap_or("local")
                    .to_owned()
            },
        )
}

//! The local filesystem backend: `<root>/<mission>/<blob>`.
//!
//! An upload goes to `<root>/<mission>/.tmp-<blob>-<random>`, is fsynced, renamed to its final
//! name (the commit point) and the directory is fsynced: a crash never leaves a visible partial
//! blob, and the leftovers are swept when the backend is opened.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use tokio::task::JoinHandle;

use super::{Backend, BlobSource, BlobUpload, BlockWriter};
use crate::error::{check_id, Result, StorageError};
use crate::fsutil;

/// Blobs in a local directory.
#[derive(Debug)]
pub struct LocalBackend {
    root: PathBuf,
    country: String,
}

impl LocalBackend {
    /// Opens (creating it if needed) the blob directory `dir`, located in `country`
    /// (ISO 3166-1 alpha-2), and removes leftovers of interrupted uploads.
    pub fn open(dir: impl Into<PathBuf>, country: &str) -> Result<LocalBackend> {
        let root = dir.into();
        fsutil::ensure_dir(&root, true)?;
        let backend = LocalBackend {
            root,
            country: country.trim().to_ascii_uppercase(),
        };
        let swept = backend.sweep_sync()?;
        if swept > 0 {
            tracing::warn!(swept, root = %backend.root.display(), "removed leftovers of interrupted uploads");
        }
        Ok(backend)
    }

    /// The blob directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn mission_dir(&self, mission: &str) -> Result<PathBuf> {
        check_id("mission", mission)?;
        Ok(self.root.join(mission))
    }

    fn blob_path(&self, mission: &str, blob: &str) -> Result<PathBuf> {
        check_id("blob", blob)?;
        Ok(self.mission_dir(mission)?.join(blob))
    }

    fn sweep_sync(&self) -> Result<usize> {
        let mut removed = fsutil::sweep_tmp(&self.root)?;
        let entries = fs::read_dir(&self.root)
            .map_err(|e| StorageError::io(format!("listing {}", self.root.display()), e))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| StorageError::io(format!("listing {}", self.root.display()), e))?;
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                removed += fsutil::sweep_tmp(&entry.path())?;
            }
        }
        Ok(removed)
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::io("running a blocking task", std::io::Error::other(e)))?
}

fn not_found(mission: &str, blob: &str) -> StorageError {
    StorageError::NotFound {
        mission: mission.to_owned(),
        blob: blob.to_owned(),
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn country(&self) -> &str {
        &self.country
    }

    fn kind(&self) -> &'static str {
        "local"
    }

    fn describe(&self) -> String {
        format!("local directory {} ({})", self.root.display(), self.country)
    }

    async fn begin_put(&self, mission: &str, blob: &str) -> Result<Box<dyn BlobUpload>> {
        let dir = self.mission_dir(mission)?;
        let dest = self.blob_path(mission, blob)?;
        let name = blob.to_owned();
        let (file, tmp, dir) = blocking(move || {
            fsutil::ensure_dir(&dir, false)?;
            let (file, tmp) = fsutil::create_tmp(&dir, &name, 0o600)?;
            Ok((file, tmp, dir))
        })
        .await?;
        Ok(Box::new(LocalUpload {
            file: Some(file),
            pending: None,
            tmp,
            dest,
            dir,
            finished: false,
        }))
    }

    async fn open(&self, mission: &str, blob: &str) -> Result<Arc<dyn BlobSource>> {
        let path = self.blob_path(mission, blob)?;
        let (m, b) = (mission.to_owned(), blob.to_owned());
        blocking(move || {
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(not_found(&m, &b))
                }
                Err(e) => return Err(StorageError::io(format!("opening {}", path.display()), e)),
            };
            let len = file
                .metadata()
                .map_err(|e| StorageError::io(format!("inspecting {}", path.display()), e))?
                .len();
            Ok(Arc::new(LocalSource {
                file: Arc::new(Mutex::new(file)),
                len,
            }) as Arc<dyn BlobSource>)
        })
        .await
    }

    async fn len(&self, mission: &str, blob: &str) -> Result<u64> {
        let path = self.blob_path(mission, blob)?;
        let (m, b) = (mission.to_owned(), blob.to_owned());
        blocking(move || match fs::metadata(&path) {
            Ok(meta) => Ok(meta.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found(&m, &b)),
            Err(e) => Err(StorageError::io(
                format!("inspecting {}", path.display()),
                e,
            )),
        })
        .await
    }

    async fn delete(&self, mission: &str, blob: &str) -> Result<bool> {
        let path = self.blob_path(mission, blob)?;
        let dir = self.mission_dir(mission)?;
        blocking(move || match fs::remove_file(&path) {
            Ok(()) => {
                fsutil::fsync_dir(&dir)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StorageError::io(format!("removing {}", path.display()), e)),
        })
        .await
    }

    async fn list(&self, mission: &str) -> Result<Vec<String>> {
        let dir = self.mission_dir(mission)?;
        blocking(move || {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(StorageError::io(format!("listing {}", dir.display()), e)),
            };
            let mut ids = Vec::new();
            for entry in entries {
                let entry =
                    entry.map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                // Temporary files start with a dot and so never pass the id check.
                if check_id("blob", &name).is_ok()
                    && entry.file_type().map(|t| t.is_file()).unwrap_or(false)
                {
                    ids.push(name);
                }
            }
            ids.sort();
            Ok(ids)
        })
        .await
    }

    async fn sweep(&self) -> Result<usize> {
        let this = LocalBackend {
            root: self.root.clone(),
            country: self.country.clone(),
        };
        blocking(move || this.sweep_sync()).await
    }
}

/// An upload to a temporary file. Either the encrypted write pipeline writes it from its own
/// thread ([`BlobUpload::block_writer`]), or `write` runs on the blocking pool one block at a
/// time, returning as soon as the previous block is on its way.
struct LocalUpload {
    file: Option<File>,
    pending: Option<JoinHandle<std::io::Result<File>>>,
    tmp: PathBuf,
    dest: PathBuf,
    dir: PathBuf,
    finished: bool,
}

impl LocalUpload {
    async fn take_file(&mut self) -> Result<File> {
        let ctx = || format!("writing {}", self.tmp.display());
        if let Some(h) = self.pending.take() {
            return match h.await {
                Ok(Ok(f)) => Ok(f),
                Ok(Err(e)) => Err(StorageError::io(ctx(), e)),
                Err(e) => Err(StorageError::io(ctx(), std::io::Error::other(e))),
            };
        }
        self.file.take().ok_or_else(|| {
            StorageError::io(
                ctx(),
                std::io::Error::other("an earlier write of this upload failed"),
            )
        })
    }
}

#[async_trait]
impl BlobUpload for LocalUpload {
    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let mut file = self.take_file().await?;
        self.pending = Some(tokio::task::spawn_blocking(move || {
            file.write_all(&chunk)?;
            Ok(file)
        }));
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let file = self.take_file().await?;
        let (tmp, dest, dir) = (self.tmp.clone(), self.dest.clone(), self.dir.clone());
        blocking(move || {
            file.sync_all()
                .map_err(|e| StorageError::io(format!("syncing {}", tmp.display()), e))?;
            drop(file);
            fs::rename(&tmp, &dest)
                .map_err(|e| StorageError::io(format!("renaming to {}", dest.display()), e))?;
            fsutil::fsync_dir(&dir)
        })
        .await?;
        self.finished = true;
        Ok(())
    }

    fn block_writer(&mut self) -> Result<Option<Box<dyn BlockWriter>>> {
        let ctx = || format!("writing {}", self.tmp.display());
        let file = match (&self.file, &self.pending) {
            (Some(f), None) => f.try_clone().map_err(|e| StorageError::io(ctx(), e))?,
            _ => {
                return Err(StorageError::io(
                    ctx(),
                    std::io::Error::other("the upload was already written to"),
                ))
            }
        };
        Ok(Some(Box::new(LocalBlockWriter {
            file,
            tmp: self.tmp.clone(),
            since_flush: 0,
            flusher: None,
        })))
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        let _ = self.take_file().await;
        let tmp = self.tmp.clone();
        self.finished = true;
        blocking(move || match fs::remove_file(&tmp) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io(format!("removing {}", tmp.display()), e)),
        })
        .await
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped mid-upload (e.g. the request was cancelled): remove the temporary file now;
            // anything missed is swept at the next start.
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Bytes a [`LocalBlockWriter`] writes between two background flushes.
const FLUSH_EVERY: u64 = 32 << 20;

/// Writes sealed blocks to the temporary file (through its own descriptor) from the write
/// pipeline's thread. Every [`FLUSH_EVERY`] bytes it asks a `blob-flush` thread to
/// `fdatasync` the file, so the disk works while the upload goes on and the final fsync of the
/// commit has little left to do (instead of the whole blob). A flush still running when the
/// next one is due is not waited for: the next one is simply skipped.
struct LocalBlockWriter {
    file: File,
    tmp: PathBuf,
    since_flush: u64,
    flusher: Option<Flusher>,
}

struct Flusher {
    kick: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl LocalBlockWriter {
    fn err(&self, e: std::io::Error) -> StorageError {
        StorageError::io(format!("writing {}", self.tmp.display()), e)
    }

    fn start_flusher(&self) -> Result<Flusher> {
        let file = self.file.try_clone().map_err(|e| self.err(e))?;
        let (kick, kicks) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("blob-flush".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                while kicks.recv().is_ok() {
                    file.sync_data()?;
                }
                Ok(())
            })
            .map_err(|e| self.err(e))?;
        Ok(Flusher { kick, thread })
    }

    /// Stops the flusher and reports its error, if any.
    fn stop_flusher(&mut self) -> Result<()> {
        let Some(Flusher { kick, thread }) = self.flusher.take() else {
            return Ok(());
        };
        drop(kick);
        match thread.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.err(e)),
            Err(_) => Err(self.err(std::io::Error::other("the flush thread panicked"))),
        }
    }
}

impl BlockWriter for LocalBlockWriter {
    fn write_block(&mut self, block: &[u8]) -> Result<()> {
        self.file.write_all(block).map_err(|e| self.err(e))?;
        self.since_flush += block.len() as u64;
        if self.since_flush >= FLUSH_EVERY {
            self.since_flush = 0;
            if self.flusher.is_none() {
                self.flusher = Some(self.start_flusher()?);
            }
            if let Some(f) = &self.flusher {
                if let Err(std::sync::mpsc::TrySendError::Disconnected(())) = f.kick.try_send(()) {
                    // The flusher ended: it failed.
                    self.stop_flusher()?;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.stop_flusher()
    }
}

struct LocalSource {
    /// Reads seek then read into uninitialized capacity (no zeroing pass); the lock keeps the
    /// seek and the read together when two reads of one blob run at once.
    file: Arc<Mutex<File>>,
    len: u64,
}

#[async_trait]
impl BlobSource for LocalSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<BytesMut> {
        let file = Arc::clone(&self.file);
        // Allocated by the calling (runtime) thread so that buffers come from, and return to,
        // one allocator arena: peak memory stays flat whichever pool thread does the read.
        let buf = Vec::with_capacity(len);
        blocking(move || read_exact_at(&file, offset, len, buf)).await
    }

    fn supports_blocking_read(&self) -> bool {
        true
    }

    fn read_at_blocking(&self, offset: u64, len: usize, buf: Vec<u8>) -> Result<BytesMut> {
        read_exact_at(&self.file, offset, len, buf)
    }
}

fn read_exact_at(
    file: &Mutex<File>,
    offset: u64,
    len: usize,
    mut buf: Vec<u8>,
) -> Result<BytesMut> {
    let err = |e| StorageError::io("reading a blob", e);
    buf.clear();
    {
        let mut f = file
            .lock()
            .map_err(|_| err(std::io::Error::other("blob file lock poisoned")))?;
        f.seek(SeekFrom::Start(offset)).map_err(err)?;
        (&mut *f)
            .take(len as u64)
            .read_to_end(&mut buf)
            .map_err(err)?;
    }
    if buf.len() != len {
        return Err(err(std::io::ErrorKind::UnexpectedEof.into()));
    }
    // Zero-copy: the vector is uniquely owned.
    Ok(BytesMut::from(Bytes::from(buf)))
}

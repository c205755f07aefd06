//! Where encrypted blobs live. Backends see only ciphertext; they never hold keys.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};

use crate::error::{Result, StorageError};

pub mod local;
pub mod s3;

/// A storage location for blobs, addressed by (mission id, blob id). Implementations: the local
/// filesystem ([`local::LocalBackend`]) and an S3-compatible object store ([`s3::S3Backend`]:
/// put = multipart upload completed on commit, read = ranged GET).
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// ISO 3166-1 alpha-2 code of the country where the data is physically stored.
    fn country(&self) -> &str;

    /// The kind of backend: `"local"` or `"s3"` (stated in destruction certificates).
    fn kind(&self) -> &'static str;

    /// A short human description of the location, for logs and messages.
    fn describe(&self) -> String;

    /// Starts writing a blob. Nothing is visible under its name until [`BlobUpload::commit`].
    /// The local backend replaces a previous blob of the same name atomically; the S3 backend
    /// never overwrites one ([`crate::StorageError::AlreadyExists`]). Blob ids are never reused.
    async fn begin_put(&self, mission: &str, blob: &str) -> Result<Box<dyn BlobUpload>>;

    /// Opens a blob for random-access reads ([`crate::StorageError::NotFound`] if absent).
    async fn open(&self, mission: &str, blob: &str) -> Result<Arc<dyn BlobSource>>;

    /// Stored length of a blob ([`crate::StorageError::NotFound`] if absent).
    async fn len(&self, mission: &str, blob: &str) -> Result<u64>;

    /// Deletes a blob; returns false if it did not exist.
    async fn delete(&self, mission: &str, blob: &str) -> Result<bool>;

    /// Committed blob ids of a mission, sorted (never a temporary upload).
    async fn list(&self, mission: &str) -> Result<Vec<String>>;

    /// Removes leftovers of interrupted uploads; returns how many were removed. Call only when no
    /// upload is running (at start).
    async fn sweep(&self) -> Result<usize>;
}

/// An upload in progress.
#[async_trait]
pub trait BlobUpload: Send {
    /// Appends bytes (callers pass large blocks, about 256 KiB).
    async fn write(&mut self, chunk: Bytes) -> Result<()>;

    /// [`BlobUpload::write`] of a whole buffer, given back once written when the backend is done
    /// with it, so that the write pipeline reuses it for the next block instead of allocating
    /// one per block (`None`: the backend kept it).
    async fn write_buf(&mut self, buf: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.write(Bytes::from(buf)).await?;
        Ok(None)
    }

    /// Makes the blob durable and visible under its name (the commit point).
    async fn commit(self: Box<Self>) -> Result<()>;

    /// Abandons the upload; nothing becomes visible.
    async fn abort(self: Box<Self>) -> Result<()>;

    /// A synchronous writer appending to this upload, if the backend has one (local files).
    /// The encrypted write pipeline then writes each sealed block from its own thread instead
    /// of handing it back to the async side; [`BlobUpload::write`] must not be mixed with it.
    /// [`BlobUpload::commit`] and [`BlobUpload::abort`] stay the only ways to finish: what the
    /// writer wrote becomes visible at the commit, and is discarded by an abort or a drop.
    fn block_writer(&mut self) -> Result<Option<Box<dyn BlockWriter>>> {
        Ok(None)
    }
}

/// See [`BlobUpload::block_writer`]. Called from a dedicated thread, never from async code.
pub trait BlockWriter: Send {
    /// Appends a block (about 256 KiB).
    fn write_block(&mut self, block: &[u8]) -> Result<()>;

    /// Called once after the last block: waits for any flush started in the background and
    /// reports its error, if any (the commit then makes everything durable).
    fn finish(&mut self) -> Result<()>;
}

/// An open blob, read by ranges.
#[async_trait]
pub trait BlobSource: Send + Sync {
    /// Stored length of the blob, as of opening.
    fn len(&self) -> u64;

    /// True when the blob is empty (never the case for a valid blob).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads exactly `len` bytes at `offset` (an error if the blob is shorter).
    async fn read_at(&self, offset: u64, len: usize) -> Result<BytesMut>;

    /// True if [`BlobSource::read_at_blocking`] is available (local files). Readers then run
    /// each read and its decryption together on a blocking-pool thread, while the data is hot
    /// in that core's cache, and keep the async runtime threads free.
    fn supports_blocking_read(&self) -> bool {
        false
    }

    /// Synchronous [`BlobSource::read_at`], reading exactly `len` bytes into `buf` (empty, with
    /// capacity for them). Called only from blocking threads, only if
    /// [`BlobSource::supports_blocking_read`] is true.
    fn read_at_blocking(&self, offset: u64, len: usize, buf: Vec<u8>) -> Result<BytesMut> {
        let _ = (offset, len, buf);
        Err(StorageError::io(
            "reading a blob",
            std::io::Error::other("this backend has no blocking reads"),
        ))
    }
}

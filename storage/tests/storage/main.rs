//! Black-box tests of the storage crate, one binary with modules.

// Test code: helpers outside `#[test]` functions may unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod keys;
mod pipeline;
mod residency_and_crash;
mod roundtrip;
mod tamper;

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use storage::{BlobReader, BlobStore, KeyStore, LocalBackend, MasterKey, StorageError};

/// A store in a fresh temporary directory, with missions "m1" and "m2" keyed.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) store: BlobStore,
}

impl Env {
    pub(crate) fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(&dir, MasterKey::from_bytes([1; 32]));
        futures::executor::block_on(store.keys().create_mission_key("m1")).unwrap();
        futures::executor::block_on(store.keys().create_mission_key("m2")).unwrap();
        Env { dir, store }
    }

    pub(crate) fn blob_dir(&self) -> PathBuf {
        self.dir.path().join("blobs")
    }

    pub(crate) fn key_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    pub(crate) fn blob_path(&self, mission: &str, blob: &str) -> PathBuf {
        self.blob_dir().join(mission).join(blob)
    }
}

pub(crate) fn open_store(dir: &tempfile::TempDir, master: MasterKey) -> BlobStore {
    let backend = LocalBackend::open(dir.path().join("blobs"), "FR").unwrap();
    let keys = KeyStore::open(dir.path().join("keys"), master).unwrap();
    BlobStore::new(Arc::new(backend), keys).unwrap()
}

/// Deterministic pseudo-random bytes.
pub(crate) fn data(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `data` as a stream of chunks of `chunk` bytes.
pub(crate) fn chunks(
    data: &[u8],
    chunk: usize,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + Unpin {
    let parts: Vec<std::io::Result<Bytes>> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(parts)
}

/// Collects a reader; the first error wins.
pub(crate) async fn read_all(mut reader: BlobReader) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::new();
    while let Some(item) = reader.next().await {
        let b = item?;
        assert!(b.len() <= 1 << 20, "blocks stay about 1 MiB");
        out.extend_from_slice(&b);
    }
    Ok(out)
}

/// Full read through the store.
pub(crate) async fn read_blob(
    store: &BlobStore,
    mission: &str,
    blob: &str,
) -> Result<Vec<u8>, StorageError> {
    read_all(store.read(mission, blob).await?).await
}

/// Range read through the store.
pub(crate) async fn read_range(
    store: &BlobStore,
    mission: &str,
    blob: &str,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, StorageError> {
    read_all(store.read_range(mission, blob, start, end).await?).await
}

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

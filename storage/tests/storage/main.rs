//! Black-box tests of the storage crate, one binary with modules.

// Test code: helpers outside `#[test]` functions may unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/flaky.rs"]
mod flaky;
mod keys;
mod pipeline;
mod residency_and_crash;
mod roundtrip;
mod s3;
#[path = "../support/seaweed.rs"]
mod seaweed;
mod tamper;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use storage::{Backend, BlobReader, BlobStore, KeyStore, LocalBackend, MasterKey, StorageError};

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

/// True when `PASSERELLE_TEST_BLOBS=s3`: the stores of the whole suite keep their blobs on the
/// test S3 server (CI runs the suite once each way).
pub(crate) fn on_s3() -> bool {
    std::env::var("PASSERELLE_TEST_BLOBS").is_ok_and(|v| v == "s3")
}

/// Ends a test that reads or alters the local blob files (tampering, temporary files) when the
/// suite runs on S3; the S3 equivalents are in `s3.rs`.
#[macro_export]
macro_rules! local_files_only {
    () => {
        if $crate::on_s3() {
            eprintln!("this test inspects local blob files: it runs in the local pass only");
            return;
        }
    };
}

pub(crate) fn open_store(dir: &tempfile::TempDir, master: MasterKey) -> BlobStore {
    let backend: Arc<dyn Backend> = if on_s3() {
        s3_backend(dir)
    } else {
        Arc::new(LocalBackend::open(dir.path().join("blobs"), "FR").unwrap())
    };
    let keys = KeyStore::open(dir.path().join("keys"), master).unwrap();
    BlobStore::new(backend, keys).unwrap()
}

/// An S3 backend for the store of `dir` (one prefix per directory, kept across reopenings).
/// Connected from a runtime that lives as long as the test binary, so that its pooled
/// connections outlive the test's own runtime.
fn s3_backend(dir: &tempfile::TempDir) -> Arc<dyn Backend> {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let sw = seaweed::shared().expect("PASSERELLE_TEST_BLOBS=s3 needs SeaweedFS (`weed`)");
    let mut config = s3::config(sw, seaweed::BUCKET);
    let prefix_file = dir.path().join("s3-prefix");
    match std::fs::read_to_string(&prefix_file) {
        Ok(p) => config.prefix = p,
        Err(_) => std::fs::write(&prefix_file, &config.prefix).unwrap(),
    }
    let rt = RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    });
    let backend =
        std::thread::scope(|s| s.spawn(|| rt.block_on(s3::connect(config))).join().unwrap())
            .unwrap();
    Arc::new(backend)
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

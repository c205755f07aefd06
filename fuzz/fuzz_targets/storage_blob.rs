//! Fuzzes the storage format reader: a stored blob (header, key commitment, segments) read back
//! through the public `BlobStore::read`, the path every download and every check takes.
//!
//! The first byte chooses the blob: even, the input itself is the whole blob; odd, a valid blob of
//! 150,000 bytes (three segments) with the rest of the input written over it at an offset taken from
//! the next four bytes. A read may fail (that is the point) but must never panic, abort, hang or
//! allocate without bound.
#![no_main]

use std::sync::{Arc, OnceLock};

use futures::StreamExt;
use storage::{BlobStore, KeyStore, LocalBackend, MasterKey};

struct Setup {
    runtime: tokio::runtime::Runtime,
    store: BlobStore,
    path: std::path::PathBuf,
    valid: Vec<u8>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let keys = KeyStore::open(dir.path().join("keys"), MasterKey::from_bytes([7; 32])).expect("keys");
    runtime
        .block_on(keys.create_mission_key("m"))
        .expect("mission key");
    let backend = LocalBackend::open(dir.path().join("blobs"), "FR").expect("backend");
    let store = BlobStore::new(Arc::new(backend), keys).expect("store");
    let plain: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    runtime
        .block_on(store.write(
            "m",
            "b",
            futures::stream::iter([Ok(bytes::Bytes::from(plain))]),
        ))
        .expect("write");
    let path = dir.path().join("blobs").join("m").join("b");
    let valid = std::fs::read(&path).expect("read back");
    Setup {
        runtime,
        store,
        path,
        valid,
        _dir: dir,
    }
}

static SETUP: OnceLock<Setup> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = SETUP.get_or_init(setup);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let blob = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut blob = s.valid.clone();
        if rest.len() >= 4 {
            let at = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize % blob.len();
            let patch = &rest[4..];
            let end = (at + patch.len()).min(blob.len());
            blob[at..end].copy_from_slice(&patch[..end - at]);
            // Odd modes above 128 also cut the blob there.
            if mode > 128 {
                blob.truncate(end);
            }
        }
        blob
    };
    std::fs::write(&s.path, &blob).expect("write blob");
    s.runtime.block_on(async {
        if let Ok(mut reader) = s.store.read("m", "b").await {
            while let Some(chunk) = reader.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        }
    });
});

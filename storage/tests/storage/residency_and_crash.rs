//! Residency refusal, abandoned uploads and crash leftovers.

use std::fs;
use std::sync::Arc;

use bytes::Bytes;
use storage::{ensure_eea, Backend, BlobStore, KeyStore, LocalBackend, MasterKey, StorageError};

use crate::*;

#[test]
fn only_eea_locations_are_accepted() {
    for ok in ["FR", "NO", "IS", "LI", "DE", "IE"] {
        ensure_eea(ok).unwrap();
    }
    let msg = ensure_eea("US").unwrap_err().to_string();
    assert!(
        msg.contains("US") && msg.contains("European Economic Area"),
        "{msg}"
    );
    assert!(ensure_eea("CH").is_err());
    assert!(ensure_eea("GB").is_err());

    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::open(dir.path().join("blobs"), "US").unwrap();
    let keys = KeyStore::open(dir.path().join("keys"), MasterKey::from_bytes([1; 32])).unwrap();
    let err = BlobStore::new(Arc::new(backend), keys).unwrap_err();
    assert!(matches!(err, StorageError::Residency(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("US") && msg.contains("only locations in the EEA"),
        "{msg}"
    );
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn failing_input_stores_nothing() {
    crate::local_files_only!();
    let env = Env::new();
    env.store
        .write("m1", "keep", chunks(b"previous version", 3))
        .await
        .unwrap();
    for fail_after in [0usize, 1, 40] {
        let mut items: Vec<std::io::Result<Bytes>> = (0..fail_after)
            .map(|i| Ok(Bytes::from(data(50_000, i as u64))))
            .collect();
        items.push(Err(std::io::Error::other("upload too large")));
        items.push(Ok(Bytes::from_static(b"never read")));
        for id in ["new", "keep"] {
            let err = env
                .store
                .write(
                    "m1",
                    id,
                    futures::stream::iter(items.iter().map(|r| match r {
                        Ok(b) => Ok(b.clone()),
                        Err(_) => Err(std::io::Error::other("upload too large")),
                    })),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, StorageError::InputAborted(_)), "{err:?}");
        }
        assert_eq!(
            files_in(&env.blob_dir().join("m1")),
            vec!["keep".to_string()]
        );
    }
    assert_eq!(
        read_blob(&env.store, "m1", "keep").await.unwrap(),
        b"previous version"
    );
}

#[tokio::test]
async fn cancelled_write_leaves_nothing() {
    crate::local_files_only!();
    let env = Env::new();
    let slow = futures::stream::iter((0..10).map(|i| Ok(Bytes::from(data(500_000, i)))))
        .chain(futures::stream::pending());
    let fut = env.store.write("m1", "x", Box::pin(slow));
    let r = tokio::time::timeout(std::time::Duration::from_millis(300), fut).await;
    assert!(r.is_err(), "the write was cancelled by the timeout");
    assert!(files_in(&env.blob_dir().join("m1")).is_empty());
}

#[tokio::test]
async fn crash_between_write_and_rename_is_swept() {
    let env = Env::new();
    let backend = LocalBackend::open(env.blob_dir(), "FR").unwrap();
    let mut upload = backend.begin_put("m1", "partial").await.unwrap();
    upload.write(Bytes::from(data(300_000, 1))).await.unwrap();
    // Simulate a crash: the process dies before commit, so no cleanup code runs.
    std::mem::forget(upload);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let leftovers = files_in(&env.blob_dir().join("m1"));
    assert_eq!(leftovers.len(), 1);
    assert!(leftovers[0].starts_with(".tmp-"), "{leftovers:?}");
    // Never visible as a blob.
    assert!(env.store.list("m1").await.unwrap().is_empty());
    assert!(!env.store.exists("m1", "partial").await.unwrap());
    assert!(matches!(
        env.store.read("m1", "partial").await,
        Err(StorageError::NotFound { .. })
    ));
    // The next start sweeps it.
    let reopened = LocalBackend::open(env.blob_dir(), "FR").unwrap();
    assert!(files_in(&env.blob_dir().join("m1")).is_empty());
    assert!(reopened.list("m1").await.unwrap().is_empty());
}

//! The encrypted write pipeline through the store: large blobs, aborted and cancelled writes
//! once the background flush has started, many writes at once.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use storage::StorageError;

use crate::*;

/// Names in a directory (empty if it does not exist).
fn files_in(dir: &std::path::Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `n` MiB of one repeated pseudo-random MiB, as 1 MiB + 1 frames (cheap to build).
fn big_input(
    n: usize,
) -> (
    Vec<u8>,
    impl Stream<Item = std::io::Result<Bytes>> + Send + Unpin,
) {
    let mib = Bytes::from(data(1 << 20, 42));
    let mut whole = Vec::with_capacity(n << 20);
    for _ in 0..n {
        whole.extend_from_slice(&mib);
    }
    let frames: Vec<std::io::Result<Bytes>> = whole
        .chunks((1 << 20) + 1)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    (whole, futures::stream::iter(frames))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_larger_than_the_flush_interval_round_trips() {
    crate::local_files_only!();
    let env = Env::new();
    let (plain, input) = big_input(70);
    let receipt = env.store.write("m1", "big", input).await.unwrap();
    assert_eq!(receipt.plaintext_len, plain.len() as u64);
    assert_eq!(receipt.sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
    assert!(read_blob(&env.store, "m1", "big").await.unwrap() == plain);
    assert_eq!(
        files_in(&env.blob_dir().join("m1")),
        vec!["big".to_string()]
    );
}

#[tokio::test]
async fn an_input_failing_after_the_first_flush_stores_nothing() {
    crate::local_files_only!();
    let env = Env::new();
    let (_, input) = big_input(40);
    let failing = input.chain(futures::stream::iter([Err(std::io::Error::other(
        "too large",
    ))]));
    let err = env.store.write("m1", "x", failing).await.unwrap_err();
    assert!(matches!(err, StorageError::InputAborted(_)), "{err:?}");
    assert!(files_in(&env.blob_dir().join("m1")).is_empty());
    assert!(!env.store.exists("m1", "x").await.unwrap());
}

#[tokio::test]
async fn a_write_cancelled_after_the_first_flush_leaves_nothing() {
    crate::local_files_only!();
    let env = Env::new();
    let (_, input) = big_input(40);
    let stalled = input.chain(futures::stream::pending());
    let fut = env.store.write("m1", "x", Box::pin(stalled));
    let r = tokio::time::timeout(Duration::from_secs(5), fut).await;
    assert!(r.is_err(), "the write was cancelled by the timeout");
    assert!(files_in(&env.blob_dir().join("m1")).is_empty());
}

/// Many writes at once on a runtime with one worker and one blocking thread: every write has
/// its own pipeline threads, so none waits for another to finish.
#[test]
fn many_concurrent_writes_do_not_deadlock() {
    let env = Env::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..48u64 {
            let store = env.store.clone();
            tasks.push(tokio::spawn(async move {
                let plain = data(3 * (1 << 20) + i as usize * 1000, i);
                // Slow, small frames: the writes overlap for their whole duration.
                let frames: Vec<std::io::Result<Bytes>> = plain
                    .chunks(256 * 1024)
                    .map(|c| Ok(Bytes::copy_from_slice(c)))
                    .collect();
                let input = futures::stream::iter(frames).then(|f| async {
                    tokio::task::yield_now().await;
                    f
                });
                let id = format!("c{i}");
                let receipt = store.write("m1", &id, Box::pin(input)).await.unwrap();
                assert_eq!(receipt.plaintext_len, plain.len() as u64);
                (id, plain)
            }));
        }
        let all = async {
            let mut done = Vec::new();
            for t in tasks {
                done.push(t.await.unwrap());
            }
            done
        };
        let done = tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .expect("concurrent writes finish");
        for (id, plain) in done.iter().step_by(7) {
            assert!(read_blob(&env.store, "m1", id).await.unwrap() == *plain);
        }
        assert_eq!(env.store.list("m1").await.unwrap().len(), 48);
    });
}

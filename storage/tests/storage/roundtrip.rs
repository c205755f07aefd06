use sha2::{Digest, Sha256};
use storage::StorageError;

use crate::*;

const SEG: usize = 64 * 1024;

#[tokio::test]
async fn round_trips_around_segment_boundaries() {
    let env = Env::new();
    let sizes = [
        0,
        1,
        SEG - 1,
        SEG,
        SEG + 1,
        2 * SEG,
        2 * SEG + 1,
        16 * SEG,
        16 * SEG + 1,
        (5 << 20) + 123,
    ];
    for (i, &size) in sizes.iter().enumerate() {
        let plain = data(size, i as u64);
        let mut chunk_sizes = vec![7, 1000, SEG, 100_000, (1 << 20) + 3];
        if size <= 2 * SEG + 1 {
            chunk_sizes.push(1);
        }
        for chunk in chunk_sizes {
            let id = format!("b{size}-{chunk}");
            let receipt = env
                .store
                .write("m1", &id, chunks(&plain, chunk))
                .await
                .unwrap();
            assert_eq!(receipt.plaintext_len, size as u64);
            assert_eq!(receipt.sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
            assert_eq!(
                read_blob(&env.store, "m1", &id).await.unwrap(),
                plain,
                "{id}"
            );
            assert_eq!(
                env.store.plaintext_len("m1", &id).await.unwrap(),
                size as u64
            );
            let reader = env.store.read("m1", &id).await.unwrap();
            assert_eq!(reader.plaintext_len(), size as u64);
            assert_eq!(reader.content_len(), size as u64);
        }
    }
}

#[tokio::test]
async fn overwrite_replaces_and_blob_list() {
    crate::local_files_only!();
    let env = Env::new();
    env.store
        .write("m1", "a", chunks(b"first", 2))
        .await
        .unwrap();
    env.store
        .write("m1", "a", chunks(b"second", 2))
        .await
        .unwrap();
    env.store.write("m1", "b", chunks(b"x", 2)).await.unwrap();
    assert_eq!(read_blob(&env.store, "m1", "a").await.unwrap(), b"second");
    assert_eq!(env.store.list("m1").await.unwrap(), vec!["a", "b"]);
    assert!(env.store.exists("m1", "a").await.unwrap());
    assert!(env.store.delete("m1", "a").await.unwrap());
    assert!(!env.store.delete("m1", "a").await.unwrap());
    assert!(!env.store.exists("m1", "a").await.unwrap());
    assert!(matches!(
        env.store.read("m1", "a").await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(env.store.purge_mission("m1").await.unwrap(), 1);
    assert!(env.store.list("m1").await.unwrap().is_empty());
}

#[tokio::test]
async fn errors_for_bad_ids_and_missing_keys() {
    let env = Env::new();
    assert!(matches!(
        env.store.write("nokey", "a", chunks(b"x", 1)).await,
        Err(StorageError::KeyNotFound { .. })
    ));
    assert!(matches!(
        env.store.write("../m1", "a", chunks(b"x", 1)).await,
        Err(StorageError::InvalidId { .. })
    ));
    assert!(matches!(
        env.store.read("m1", ".tmp-a").await,
        Err(StorageError::InvalidId { .. })
    ));
    env.store
        .write("m1", "a", chunks(b"0123456789", 3))
        .await
        .unwrap();
    assert!(matches!(
        env.store.read_range("m1", "a", 10, 12).await,
        Err(StorageError::RangeNotSatisfiable { len: 10, .. })
    ));
    assert!(matches!(
        env.store.read_range("m1", "a", 5, 4).await,
        Err(StorageError::RangeNotSatisfiable { .. })
    ));
    // The end is clamped to the last byte.
    assert_eq!(
        read_range(&env.store, "m1", "a", 7, 100).await.unwrap(),
        b"789"
    );
}

#[test]
fn range_reads_equal_slices() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let rt = rt();
    let env = Env::new();
    let sizes = [
        1usize,
        SEG - 1,
        SEG,
        SEG + 1,
        3 * SEG + 17,
        (1 << 20) + 5 * SEG + 3,
    ];
    let plains: Vec<Vec<u8>> = sizes.iter().map(|&n| data(n, n as u64)).collect();
    rt.block_on(async {
        for (i, p) in plains.iter().enumerate() {
            env.store
                .write("m1", &format!("r{i}"), chunks(p, 50_000))
                .await
                .unwrap();
        }
    });
    let strategy = (0..sizes.len()).prop_flat_map(move |i| {
        let n = sizes[i] as u64;
        (Just(i), 0..n).prop_flat_map(move |(i, start)| (Just(i), Just(start), start..n))
    });
    let mut runner = TestRunner::new(Config::with_cases(200));
    runner
        .run(&strategy, |(i, start, end)| {
            let got = rt
                .block_on(read_range(&env.store, "m1", &format!("r{i}"), start, end))
                .unwrap();
            prop_assert_eq!(&got[..], &plains[i][start as usize..=end as usize]);
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn reader_is_send_static_stream() {
    fn assert_stream<S: Stream<Item = Result<Bytes, StorageError>> + Send + 'static>(_: &S) {}
    let env = Env::new();
    env.store
        .write("m1", "a", chunks(&data(300_000, 1), 4096))
        .await
        .unwrap();
    let r = env.store.read("m1", "a").await.unwrap();
    assert_stream(&r);
    // The reader outlives the store handle and runs on another task.
    let task = tokio::spawn(read_all(r));
    drop(env.store.clone());
    assert_eq!(task.await.unwrap().unwrap(), data(300_000, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_and_reads() {
    let env = Env::new();
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let store = env.store.clone();
        tasks.push(tokio::spawn(async move {
            let mission = if i % 2 == 0 { "m1" } else { "m2" };
            let plain = data(700_000 + i as usize * 10_000, i);
            let id = format!("c{i}");
            store
                .write(mission, &id, chunks(&plain, 30_000))
                .await
                .unwrap();
            assert_eq!(read_blob(&store, mission, &id).await.unwrap(), plain);
            let got = read_range(&store, mission, &id, 65_000, 300_000)
                .await
                .unwrap();
            assert_eq!(&got[..], &plain[65_000..=300_000]);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(env.store.list("m1").await.unwrap().len(), 4);
}

//! The S3 backend against a real S3 server (SeaweedFS, see `support/seaweed.rs`): round trips,
//! conditional create, interrupted uploads, sweep, deletion, ranged reads, start-up refusals.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use storage::{Backend, BlobStore, KeyStore, MasterKey, S3Backend, S3Config, StorageError};

use super::{chunks, data, read_blob, read_range};
use super::{flaky, seaweed};

/// Settings for the test server, objects under a fresh prefix.
pub(crate) fn config(sw: &seaweed::Seaweed, bucket: &str) -> S3Config {
    let mut r = [0u8; 6];
    for b in r.iter_mut() {
        *b = rand_byte();
    }
    S3Config {
        endpoint: sw.endpoint.clone(),
        bucket: bucket.to_owned(),
        region: seaweed::REGION.to_owned(),
        access_key_id: seaweed::ACCESS_KEY.to_owned(),
        secret_access_key: seaweed::SECRET_KEY.to_owned(),
        path_style: true,
        prefix: format!("t-{}/", hex(&r)),
        country: "FR".to_owned(),
        allowed_endpoints: vec![sw.endpoint.clone()],
        ca_pem: None,
        sweep_older_than: Duration::ZERO,
        staging_dir: None,
    }
}

fn rand_byte() -> u8 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::Instant::now().elapsed().as_nanos() as u64);
    h.finish() as u8
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Connects, retrying while the server creates its buckets.
pub(crate) async fn connect(config: S3Config) -> Result<S3Backend, StorageError> {
    let mut tries = 0;
    loop {
        match S3Backend::connect(config.clone()).await {
            Err(StorageError::Io { .. }) if tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// A store on S3 (fresh prefix) with missions "m1" and "m2" keyed; `None` if SeaweedFS is absent.
pub(crate) async fn s3_store() -> Option<(tempfile::TempDir, Arc<S3Backend>, BlobStore)> {
    let sw = seaweed::shared()?;
    let backend = Arc::new(connect(config(sw, seaweed::BUCKET)).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyStore::open(dir.path().join("keys"), MasterKey::from_bytes([1; 32])).unwrap();
    let store = BlobStore::new(backend.clone() as Arc<dyn Backend>, keys).unwrap();
    store.keys().create_mission_key("m1").await.unwrap();
    store.keys().create_mission_key("m2").await.unwrap();
    Some((dir, backend, store))
}

const MIB: usize = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_and_ranges_across_parts() {
    let Some((_dir, backend, store)) = s3_store().await else {
        return;
    };
    assert!(backend
        .describe()
        .starts_with("S3 bucket passerelle at http://127.0.0.1:"));
    for (i, size) in [0, 1, 65_536, MIB + 1, 17 * MIB + 5]
        .into_iter()
        .enumerate()
    {
        let plain = data(size, i as u64);
        let id = format!("b{i}");
        let r = store
            .write("m1", &id, chunks(&plain, 300_000))
            .await
            .unwrap();
        assert_eq!(r.plaintext_len, size as u64);
        assert_eq!(
            read_blob(&store, "m1", &id).await.unwrap(),
            plain,
            "size {size}"
        );
        if size > 10 {
            let (s, e) = (size / 3, size - 2);
            let got = read_range(&store, "m1", &id, s as u64, e as u64)
                .await
                .unwrap();
            assert_eq!(got, plain[s..=e]);
        }
    }
    assert_eq!(
        store.list("m1").await.unwrap(),
        ["b0", "b1", "b2", "b3", "b4"]
    );
    assert!(store.list("m2").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_blob_is_never_overwritten() {
    let Some((_dir, _backend, store)) = s3_store().await else {
        return;
    };
    for (id, size) in [("small", 1000), ("multipart", 9 * MIB)] {
        let first = data(size, 1);
        store.write("m1", id, chunks(&first, MIB)).await.unwrap();
        let err = store
            .write("m1", id, chunks(&data(size, 2), MIB))
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::AlreadyExists { .. }), "{err:?}");
        assert_eq!(read_blob(&store, "m1", id).await.unwrap(), first);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_leaves_no_object_and_no_incomplete_upload() {
    let Some((_dir, backend, store)) = s3_store().await else {
        return;
    };
    // The input fails after three parts were sent.
    let good = chunks(&data(3 * 8 * MIB + 100, 3), MIB);
    let failing = good.chain(futures::stream::iter([Err(std::io::Error::other("gone"))]));
    let err = store
        .write("m1", "failed", Box::pin(failing))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::InputAborted(_)), "{err:?}");
    assert!(store.list("m1").await.unwrap().is_empty());
    assert!(backend.incomplete_uploads().await.unwrap().is_empty());

    // The write future is dropped mid-upload (a cancelled request): aborted in the background.
    let slow = chunks(&data(20 * MIB, 4), MIB).then(|c| async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        c
    });
    let write = store.write("m1", "cancelled", Box::pin(slow));
    assert!(tokio::time::timeout(Duration::from_millis(300), write)
        .await
        .is_err());
    let mut left = backend.incomplete_uploads().await.unwrap();
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = backend.incomplete_uploads().await.unwrap();
    }
    assert!(left.is_empty(), "{left:?}");
    assert!(store.list("m1").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_aborts_uploads_left_by_a_crash() {
    let Some(sw) = seaweed::shared() else { return };
    let config = config(sw, seaweed::BUCKET);
    let backend = connect(config.clone()).await.unwrap();
    let mut upload = backend.begin_put("m1", "crashed").await.unwrap();
    for _ in 0..9 {
        upload.write(Bytes::from(vec![7u8; MIB])).await.unwrap();
    }
    // A crash: neither commit, abort nor drop run.
    std::mem::forget(upload);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(backend.incomplete_uploads().await.unwrap().len(), 1);

    // A sweep with a grace period leaves a recent upload (it may belong to another instance).
    let patient = connect(S3Config {
        sweep_older_than: Duration::from_secs(3600),
        ..config
    })
    .await
    .unwrap();
    assert_eq!(patient.sweep().await.unwrap(), 0);
    assert_eq!(backend.sweep().await.unwrap(), 1);
    assert!(backend.incomplete_uploads().await.unwrap().is_empty());
    assert!(backend.list("m1").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_leaves_nothing() {
    let Some((_dir, backend, store)) = s3_store().await else {
        return;
    };
    store
        .write("m1", "a", chunks(&data(10 * MIB, 5), MIB))
        .await
        .unwrap();
    store
        .write("m1", "b", chunks(&data(10, 6), 10))
        .await
        .unwrap();
    assert!(store.delete("m1", "a").await.unwrap());
    assert!(!store.delete("m1", "a").await.unwrap());
    assert!(!store.exists("m1", "a").await.unwrap());
    assert_eq!(store.list("m1").await.unwrap(), ["b"]);
    store.keys().destroy_mission_key("m1").await.unwrap();
    assert!(matches!(
        read_blob(&store, "m1", "b").await,
        Err(StorageError::KeyDestroyed { .. })
    ));
    assert_eq!(store.purge_mission("m1").await.unwrap(), 1);
    assert!(store.list("m1").await.unwrap().is_empty());
    assert!(backend.incomplete_uploads().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_fetches_only_the_segments_it_needs() {
    let Some((_dir, backend, store)) = s3_store().await else {
        return;
    };
    let plain = data(12 * MIB, 7);
    store.write("m1", "big", chunks(&plain, MIB)).await.unwrap();
    let stats = backend.stats();
    let before = stats.bytes_fetched.load(Ordering::Relaxed);
    let start = 5 * MIB as u64 + 12_345;
    let got = read_range(&store, "m1", "big", start, start + 99)
        .await
        .unwrap();
    assert_eq!(got, plain[start as usize..start as usize + 100]);
    let fetched = stats.bytes_fetched.load(Ordering::Relaxed) - before;
    // Header, the last segment (it authenticates the length) and one read block of 4 segments.
    assert!(
        fetched < 400 * 1024,
        "fetched {fetched} bytes for a 100-byte range"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_read_is_streamed_in_a_few_gets() {
    let Some((_dir, backend, store)) = s3_store().await else {
        return;
    };
    let plain = data(40 * MIB, 8);
    store.write("m1", "big", chunks(&plain, MIB)).await.unwrap();
    let stats = backend.stats();
    let (gets, fetched) = (
        stats.gets.load(Ordering::Relaxed),
        stats.bytes_fetched.load(Ordering::Relaxed),
    );
    assert_eq!(read_blob(&store, "m1", "big").await.unwrap(), plain);
    let gets = stats.gets.load(Ordering::Relaxed) - gets;
    let fetched = stats.bytes_fetched.load(Ordering::Relaxed) - fetched;
    // One GET per 256 KiB read block would be 160: the header, the first block, then windows
    // of 1, 2, 4, 8, 16 and 32 MiB streamed ahead of the reads.
    assert!(gets <= 10, "{gets} GETs for a 40 MiB read");
    // Nothing fetched twice, nothing beyond the object.
    assert!(
        fetched <= 41 * MIB as u64,
        "fetched {fetched} bytes for a 40 MiB blob"
    );
    // A range after a whole read still fetches only what it needs.
    let before = stats.bytes_fetched.load(Ordering::Relaxed);
    let start = 17 * MIB as u64 + 999;
    let got = read_range(&store, "m1", "big", start, start + 9)
        .await
        .unwrap();
    assert_eq!(got, plain[start as usize..start as usize + 10]);
    let fetched = stats.bytes_fetched.load(Ordering::Relaxed) - before;
    assert!(
        fetched < 400 * 1024,
        "fetched {fetched} bytes for a 10-byte range"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_versioned_bucket_is_refused_at_start() {
    let Some(sw) = seaweed::shared() else { return };
    let config = config(sw, seaweed::VERSIONED_BUCKET);
    connect(config.clone()).await.unwrap();
    storage::backend::s3::enable_versioning_for_tests(&config)
        .await
        .unwrap();
    let err = S3Backend::connect(config).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::Backend(_)), "{err:?}");
    assert!(
        msg.contains("versioning is Enabled") && msg.contains("crypto-shredding"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_not_attested_or_not_https_are_refused() {
    let Some(sw) = seaweed::shared() else { return };
    let mut c = config(sw, seaweed::BUCKET);
    c.allowed_endpoints = vec!["https://s3.fr-par.scw.cloud".into()];
    let err = S3Backend::connect(c.clone()).await.unwrap_err();
    assert!(matches!(err, StorageError::Residency(_)), "{err:?}");
    assert!(
        err.to_string().contains("storage.s3.allowed_endpoints"),
        "{err}"
    );

    c.endpoint = "http://s3.example.fr".into();
    c.allowed_endpoints = vec![c.endpoint.clone()];
    let err = S3Backend::connect(c.clone()).await.unwrap_err();
    assert!(err.to_string().contains("must use https"), "{err}");

    // Wrong secret: the server checks signatures.
    let mut c = config(sw, seaweed::BUCKET);
    c.secret_access_key = "wrong".into();
    let err = S3Backend::connect(c).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
}

/// Writes `count` blobs into `mission` at once (blob `i` of `size(i)` bytes, fed in `chunk`-byte
/// frames), reads each back, and checks the mission lists them all.
async fn write_at_once(
    store: &BlobStore,
    mission: &'static str,
    count: u64,
    size: fn(u64) -> usize,
    chunk: usize,
) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let plain = data(size(i), 100 + i);
            let id = format!("c{i}");
            store
                .write(mission, &id, chunks(&plain, chunk))
                .await
                .unwrap();
            assert_eq!(read_blob(&store, mission, &id).await.unwrap(), plain);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.list(mission).await.unwrap().len(), count as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_and_reads() {
    let Some((_dir, _backend, store)) = s3_store().await else {
        return;
    };
    write_at_once(&store, "m2", 6, |i| 3 * MIB + i as usize * 1000, 64 * 1024).await;
}

// Many multipart uploads at once stage their parts on disk, in files that have no name: they all
// finish, each holds at most its filling part and its parts in flight, and nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_uploads_at_once_stage_their_parts_on_disk() {
    use storage::backend::s3::{PARTS_IN_FLIGHT, PART_SIZE};
    let Some(sw) = seaweed::shared() else {
        return;
    };
    let staging = tempfile::tempdir().unwrap();
    let backend = Arc::new(
        connect(S3Config {
            staging_dir: Some(staging.path().to_owned()),
            ..config(sw, seaweed::BUCKET)
        })
        .await
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyStore::open(dir.path().join("keys"), MasterKey::from_bytes([1; 32])).unwrap();
    let store = BlobStore::new(backend.clone() as Arc<dyn Backend>, keys).unwrap();
    store.keys().create_mission_key("m1").await.unwrap();
    // A part filling, seen from outside: the staging folder shows no file.
    let mut upload = backend.begin_put("m1", "peek").await.unwrap();
    upload.write(Bytes::from(vec![1u8; MIB])).await.unwrap();
    assert_eq!(std::fs::read_dir(staging.path()).unwrap().count(), 0);
    assert_eq!(
        backend.stats().staged_now.load(Ordering::Relaxed),
        MIB as u64
    );
    upload.abort().await.unwrap();
    assert_eq!(backend.stats().staged_now.load(Ordering::Relaxed), 0);
    // Two parts each: a whole one and a last, smaller one.
    let count = 6;
    write_at_once(
        &store,
        "m1",
        count,
        |i| PART_SIZE + MIB + i as usize * 1000,
        256 * 1024,
    )
    .await;
    let peak = backend.stats().staged_peak.load(Ordering::Relaxed) as usize;
    assert!(
        peak <= count as usize * (PARTS_IN_FLIGHT + 1) * PART_SIZE,
        "{peak} bytes staged at once"
    );
    assert_eq!(backend.stats().staged_now.load(Ordering::Relaxed), 0);
    assert_eq!(std::fs::read_dir(staging.path()).unwrap().count(), 0);
}

// Uploads that trickle in (a slow client each, their parts half full) make no other upload wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_uploads_make_nobody_wait() {
    use storage::backend::s3::PART_SIZE;
    let Some((_dir, backend, store)) = s3_store().await else {
        return;
    };
    let mut slow = Vec::new();
    for i in 0..8 {
        let mut upload = backend.begin_put("m2", &format!("slow{i}")).await.unwrap();
        upload.write(Bytes::from(vec![7u8; 4096])).await.unwrap();
        slow.push(upload);
    }
    let plain = data(2 * PART_SIZE + 3, 9);
    let id = "fast".to_owned();
    tokio::time::timeout(
        Duration::from_secs(60),
        store.write("m2", &id, chunks(&plain, 256 * 1024)),
    )
    .await
    .expect("an upload does not wait for slow ones")
    .unwrap();
    assert_eq!(read_blob(&store, "m2", &id).await.unwrap(), plain);
    for upload in slow {
        upload.abort().await.unwrap();
    }
}

/// A store (missions "m1" and "m2") reaching the test server through a front that fails the
/// calls `rule` picks; `None` if SeaweedFS is absent.
async fn store_through(
    rule: Arc<flaky::Rule>,
) -> Option<(
    tempfile::TempDir,
    flaky::Front,
    Result<BlobStore, StorageError>,
)> {
    let sw = seaweed::shared()?;
    // The server is up and its buckets made before the front's count starts.
    drop(connect(config(sw, seaweed::BUCKET)).await.unwrap());
    let front =
        flaky::Front::start(sw.endpoint.trim_start_matches("http://").to_owned(), rule).await;
    let mut settings = config(sw, seaweed::BUCKET);
    settings.endpoint = front.endpoint.clone();
    settings.allowed_endpoints = vec![front.endpoint.clone()];
    let dir = tempfile::tempdir().unwrap();
    let store = match S3Backend::connect(settings).await {
        Ok(backend) => {
            let keys =
                KeyStore::open(dir.path().join("keys"), MasterKey::from_bytes([1; 32])).unwrap();
            let store = BlobStore::new(Arc::new(backend) as Arc<dyn Backend>, keys).unwrap();
            store.keys().create_mission_key("m1").await.unwrap();
            Ok(store)
        }
        Err(e) => Err(e),
    };
    Some((dir, front, store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_the_store_fails_for_a_moment_are_sent_again() {
    // The first call (a start-up check) is throttled, then dropped; the first upload of a
    // second part is throttled; the first read of an object is dropped before its answer.
    let failed = Arc::new(std::sync::Mutex::new(Vec::<&'static str>::new()));
    let seen = failed.clone();
    let rule = Arc::new(move |n: usize, line: &str| {
        let mut failed = seen.lock().unwrap();
        let (kind, act) = match n {
            0 => ("check", flaky::Act::SlowDown),
            1 => ("check again", flaky::Act::Drop),
            _ if line.starts_with("PUT ") && line.contains("partNumber=2&") => {
                ("part", flaky::Act::SlowDown)
            }
            _ if line.starts_with("GET ") && !line.contains('?') => ("read", flaky::Act::Drop),
            _ => return flaky::Act::Pass,
        };
        if failed.contains(&kind) {
            return flaky::Act::Pass;
        }
        failed.push(kind);
        act
    });
    let Some((_dir, front, store)) = store_through(rule).await else {
        return;
    };
    let store = store.expect("the third attempt of the start-up check succeeds");
    let plain = data(17 * MIB + 5, 9);
    store
        .write("m1", "flaky", chunks(&plain, 300_000))
        .await
        .unwrap();
    assert_eq!(read_blob(&store, "m1", "flaky").await.unwrap(), plain);
    assert_eq!(
        *failed.lock().unwrap(),
        ["check", "check again", "part", "read"],
        "{:?}",
        front.seen.lock().unwrap()
    );
    assert_eq!(front.count(flaky::Act::SlowDown), 2);
    assert_eq!(front.count(flaky::Act::Drop), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_keeps_failing_is_asked_three_times_and_the_error_says_why() {
    let rule = Arc::new(|_: usize, _: &str| flaky::Act::SlowDown);
    let Some((_dir, front, store)) = store_through(rule).await else {
        return;
    };
    let Err(e) = store else {
        panic!("a store that answers only SlowDown was accepted");
    };
    let text = format!("{e:?}");
    assert!(text.contains("503") && text.contains("SlowDown"), "{text}");
    assert_eq!(front.count(flaky::Act::SlowDown), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conditional_create_is_never_sent_twice() {
    // A small blob is stored by one PUT that must not overwrite: were its answer lost after the
    // store acted on it, a second attempt would be refused as a duplicate. It fails instead.
    let rule = Arc::new(|_: usize, line: &str| {
        if line.starts_with("PUT ") && !line.contains("partNumber") {
            flaky::Act::SlowDown
        } else {
            flaky::Act::Pass
        }
    });
    let Some((_dir, front, store)) = store_through(rule).await else {
        return;
    };
    let store = store.unwrap();
    let err = store
        .write("m1", "once", chunks(&data(1000, 3), 300))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("SlowDown"), "{err:?}");
    assert_eq!(front.count(flaky::Act::SlowDown), 1);
    assert!(store.list("m1").await.unwrap().is_empty());
}

//! Tampering, truncation, reordering, cross-file swaps and moved blobs are all reported as
//! integrity errors, never returned as data.

use std::fs;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use storage::StorageError;

use crate::*;

const SEG: usize = 64 * 1024;
const SEG_CIPHER: usize = SEG + 16;
/// 4 full segments and a short last one.
const SIZE: usize = 4 * SEG + 1234;

fn assert_integrity(r: Result<Vec<u8>, StorageError>, what: &str) -> Result<(), TestCaseError> {
    match r {
        Err(e) if e.is_integrity() => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!("{what}: wrong error {e:?}"))),
        Ok(_) => Err(TestCaseError::fail(format!(
            "{what}: tampered blob returned data"
        ))),
    }
}

/// Writes blob `name` in m1 and returns (plaintext, stored bytes, header length).
fn setup(
    env: &Env,
    rt: &tokio::runtime::Runtime,
    name: &str,
    seed: u64,
) -> (Vec<u8>, Vec<u8>, usize) {
    let plain = data(SIZE, seed);
    rt.block_on(env.store.write("m1", name, chunks(&plain, 40_000)))
        .unwrap();
    let stored = fs::read(env.blob_path("m1", name)).unwrap();
    let header_len = stored.len() - (4 * SEG_CIPHER + 1234 + 16);
    (plain, stored, header_len)
}

#[test]
fn flipped_bits_are_detected_by_full_and_range_reads() {
    crate::local_files_only!();
    let rt = rt();
    let env = Env::new();
    let (plain, stored, hlen) = setup(&env, &rt, "a", 1);
    let path = env.blob_path("m1", "a");
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner
        .run(&(0..stored.len(), 0u8..8), |(pos, bit)| {
            let mut t = stored.clone();
            t[pos] ^= 1 << bit;
            fs::write(&path, &t).unwrap();
            assert_integrity(rt.block_on(read_blob(&env.store, "m1", "a")), "full read")?;
            // A range covering the flipped byte's segment (or any range, for a header byte).
            let (start, end) = if pos < hlen {
                (0, 10)
            } else {
                let seg = ((pos - hlen) / SEG_CIPHER) as u64;
                (
                    seg * SEG as u64 + 5,
                    (seg * SEG as u64 + 6).min(SIZE as u64 - 1),
                )
            };
            assert_integrity(
                rt.block_on(read_range(&env.store, "m1", "a", start, end)),
                "range read",
            )?;
            Ok(())
        })
        .unwrap();
    fs::write(&path, &stored).unwrap();
    assert_eq!(
        rt.block_on(read_blob(&env.store, "m1", "a")).unwrap(),
        plain
    );
}

#[test]
fn truncation_and_extension_are_detected() {
    crate::local_files_only!();
    let rt = rt();
    let env = Env::new();
    let (_, stored, hlen) = setup(&env, &rt, "a", 2);
    let path = env.blob_path("m1", "a");
    // Every segment boundary, plus random points.
    for k in 0..=4 {
        let cut = hlen + k * SEG_CIPHER;
        fs::write(&path, &stored[..cut]).unwrap();
        assert_integrity(
            rt.block_on(read_blob(&env.store, "m1", "a")),
            "boundary cut",
        )
        .unwrap();
        assert!(rt
            .block_on(env.store.plaintext_len("m1", "a"))
            .unwrap_err()
            .is_integrity());
    }
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner
        .run(&(0..stored.len()), |cut| {
            fs::write(&path, &stored[..cut]).unwrap();
            assert_integrity(rt.block_on(read_blob(&env.store, "m1", "a")), "truncated")?;
            // Range read at the start also authenticates the length.
            assert_integrity(
                rt.block_on(read_range(&env.store, "m1", "a", 0, 0)),
                "range after cut",
            )?;
            Ok(())
        })
        .unwrap();
    runner
        .run(
            &proptest::collection::vec(any::<u8>(), 1..70_000),
            |extra| {
                let mut t = stored.clone();
                t.extend_from_slice(&extra);
                fs::write(&path, &t).unwrap();
                assert_integrity(rt.block_on(read_blob(&env.store, "m1", "a")), "extended")?;
                assert_integrity(
                    rt.block_on(read_range(&env.store, "m1", "a", 0, 0)),
                    "range after extension",
                )?;
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn reordered_or_foreign_segments_are_detected() {
    crate::local_files_only!();
    let rt = rt();
    let env = Env::new();
    let (_, a, hlen) = setup(&env, &rt, "a", 3);
    let (_, b, hlen_b) = setup(&env, &rt, "b", 4);
    assert_eq!(hlen, hlen_b);
    let path = env.blob_path("m1", "a");
    let seg = |v: &[u8], i: usize| v[hlen + i * SEG_CIPHER..hlen + (i + 1) * SEG_CIPHER].to_vec();
    let mut runner = TestRunner::new(Config::with_cases(64));
    // Swap two full segments of the same file.
    runner
        .run(&(0usize..4, 0usize..4), |(i, j)| {
            prop_assume!(i != j);
            let mut t = a.clone();
            let (si, sj) = (seg(&a, i), seg(&a, j));
            t[hlen + i * SEG_CIPHER..hlen + (i + 1) * SEG_CIPHER].copy_from_slice(&sj);
            t[hlen + j * SEG_CIPHER..hlen + (j + 1) * SEG_CIPHER].copy_from_slice(&si);
            fs::write(&path, &t).unwrap();
            assert_integrity(rt.block_on(read_blob(&env.store, "m1", "a")), "reordered")?;
            Ok(())
        })
        .unwrap();
    // Put segment j of another file of the same mission at position i (same or other index).
    runner
        .run(&(0usize..4, 0usize..4), |(i, j)| {
            let mut t = a.clone();
            t[hlen + i * SEG_CIPHER..hlen + (i + 1) * SEG_CIPHER].copy_from_slice(&seg(&b, j));
            fs::write(&path, &t).unwrap();
            assert_integrity(
                rt.block_on(read_blob(&env.store, "m1", "a")),
                "foreign segment",
            )?;
            let start = (i * SEG) as u64;
            assert_integrity(
                rt.block_on(read_range(&env.store, "m1", "a", start, start + 100)),
                "foreign segment, range",
            )?;
            Ok(())
        })
        .unwrap();
    // Header of one file with the body of the other.
    let mut t = a[..hlen].to_vec();
    t.extend_from_slice(&b[hlen..]);
    fs::write(&path, &t).unwrap();
    assert_integrity(
        rt.block_on(read_blob(&env.store, "m1", "a")),
        "mixed header",
    )
    .unwrap();
    // Dropping a segment and shifting the rest.
    let mut t = a[..hlen + SEG_CIPHER].to_vec();
    t.extend_from_slice(&a[hlen + 2 * SEG_CIPHER..]);
    fs::write(&path, &t).unwrap();
    assert_integrity(
        rt.block_on(read_blob(&env.store, "m1", "a")),
        "dropped segment",
    )
    .unwrap();
}

#[test]
fn moved_blobs_are_detected() {
    crate::local_files_only!();
    let rt = rt();
    let env = Env::new();
    let (plain, stored, _) = setup(&env, &rt, "a", 5);
    // Copied to another mission (which has its own key).
    fs::create_dir_all(env.blob_dir().join("m2")).unwrap();
    fs::write(env.blob_path("m2", "a"), &stored).unwrap();
    assert_integrity(
        rt.block_on(read_blob(&env.store, "m2", "a")),
        "other mission",
    )
    .unwrap();
    assert_integrity(
        rt.block_on(read_range(&env.store, "m2", "a", 0, 5)),
        "other mission",
    )
    .unwrap();
    // Copied to another blob id of the same mission.
    fs::write(env.blob_path("m1", "z"), &stored).unwrap();
    assert_integrity(rt.block_on(read_blob(&env.store, "m1", "z")), "other id").unwrap();
    assert!(rt
        .block_on(env.store.plaintext_len("m1", "z"))
        .unwrap_err()
        .is_integrity());
    // The original is intact.
    assert_eq!(
        rt.block_on(read_blob(&env.store, "m1", "a")).unwrap(),
        plain
    );
}

#[tokio::test]
async fn a_bad_segment_mid_stream_ends_the_stream_with_an_error() {
    crate::local_files_only!();
    use futures::StreamExt;
    let env = Env::new();
    let plain = data(3 << 20, 7);
    env.store
        .write("m1", "a", chunks(&plain, 1 << 20))
        .await
        .unwrap();
    let path = env.blob_path("m1", "a");
    let mut stored = fs::read(&path).unwrap();
    let n = stored.len();
    stored[n - 200_000] ^= 0x80; // inside the third MiB
    fs::write(&path, &stored).unwrap();

    let mut reader = env.store.read("m1", "a").await.unwrap();
    let mut good = Vec::new();
    let err = loop {
        match reader.next().await {
            Some(Ok(b)) => good.extend_from_slice(&b),
            Some(Err(e)) => break e,
            None => panic!("a corrupted blob must not end cleanly"),
        }
    };
    assert!(err.is_integrity(), "{err:?}");
    // What came before the error was authentic, and the stream stops after the error.
    assert!(good.len() < plain.len());
    assert_eq!(&good[..], &plain[..good.len()]);
    assert!(reader.next().await.is_none());
}

//! The real `passerelle check-worker` under its limits (issue 11), driven through the pool as the
//! gateway drives it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{FutureExt as _, StreamExt as _};
use gateway::worker::{
    CheckKind, Checker, DisclosureSettings, Failure, Job, OpenFrom, Outcome, PoolSettings,
};
use std::time::Duration;
use storage::PlainTap as _;

fn checker(memory_mib: u64, timeout: Duration) -> Checker {
    Checker::new(PoolSettings {
        program: env!("CARGO_BIN_EXE_passerelle").into(),
        memory_mib,
        timeout,
        max_parallel: 2,
    })
}

/// Serves `data` in 64 KiB chunks from any offset, as the encrypted store does.
fn serve(data: Bytes) -> OpenFrom {
    Box::new(move |from: u64| {
        let data = data.clone();
        async move {
            let rest = data.slice(from as usize..);
            let chunks: Vec<std::io::Result<Bytes>> = (0..rest.len())
                .step_by(65536)
                .map(|i| Ok(rest.slice(i..(i + 65536).min(rest.len()))))
                .collect();
            let s: BoxStream<'static, std::io::Result<Bytes>> =
                futures::stream::iter(chunks).boxed();
            Ok(s)
        }
        .boxed()
    })
}

fn job(check: CheckKind, extension: &str, size: usize) -> Job {
    Job {
        check,
        extension: extension.into(),
        size: Some(size as u64),
        disclosure: DisclosureSettings::default(),
    }
}

/// A live identifier scan of a CSV file still arriving: the feed to push it, and the check.
fn live_csv_check(checker: &Checker) -> (gateway::worker::Feed, gateway::worker::LiveCheck<'_>) {
    let place = checker.live_place().expect("a free place");
    checker
        .start_live(job(CheckKind::Identifiers, "csv", 0), place)
        .unwrap()
}

#[tokio::test]
async fn the_real_worker_scans_a_csv_of_several_blocks() {
    let mut csv = b"commune;nb_menages;email\n".to_vec();
    while csv.len() < 3 << 20 {
        csv.extend_from_slice(b"Carvin;12;\n");
    }
    csv.extend_from_slice(b"Lens;14;jean.dupont@example.fr\n");
    let len = csv.len();
    let report = checker(256, Duration::from_secs(60))
        .run(
            job(CheckKind::Identifiers, "csv", len),
            serve(Bytes::from(csv)),
        )
        .await
        .unwrap();
    match report.outcome {
        Outcome::Findings { findings } => {
            assert!(
                findings.iter().any(|f| f.kind.as_str() == "email"),
                "{findings:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(report.peak_rss_kib > 0 && report.peak_rss_kib < 256 * 1024);
}

#[tokio::test]
async fn the_real_worker_checks_disclosure() {
    let csv = b"commune;nb_menages\nCarvin;3\nLens;40\n".to_vec();
    let len = csv.len();
    let report = checker(256, Duration::from_secs(60))
        .run(
            job(CheckKind::Disclosure, "csv", len),
            serve(Bytes::from(csv)),
        )
        .await
        .unwrap();
    match report.outcome {
        Outcome::Violations { violations } => {
            assert_eq!(violations.len(), 1);
            assert_eq!(violations[0].rule.as_str(), "min_count");
            assert_eq!(violations[0].row, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_real_worker_is_stopped_at_its_cpu_and_wall_clock_limits() {
    // 250 MiB of honest rows (no record bound applies): more than any build scans in one second,
    // so the deadline, not the reader, ends the worker.
    let csv = b"Carvin;12\n".repeat(25 << 20);
    let err = checker(256, Duration::from_secs(1))
        .run(
            job(CheckKind::Identifiers, "csv", csv.len()),
            serve(Bytes::from(csv)),
        )
        .await;
    assert!(
        matches!(err, Err(Failure::Timeout(1) | Failure::Cpu(1))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_upload_is_not_taken_for_a_slow_file() {
    // The file trickles in over 1.5 s against a 1 s deadline: the deadline only starts once the
    // upload has ended, so the live check concludes.
    let checker = checker(256, Duration::from_secs(1));
    let (mut feed, check) = live_csv_check(&checker);
    // As the store's thread does: each block as it arrives, then the end.
    let uploader = std::thread::spawn(move || {
        for block in [
            &b"commune;email\n"[..],
            b"Carvin;\n",
            b"Lens;jean.dupont@example.fr\n",
        ] {
            std::thread::sleep(Duration::from_millis(500));
            assert!(feed.block(&[block]), "the worker reads on");
        }
        feed.end();
    });
    let report = check.report().await.unwrap();
    uploader.join().unwrap();
    match report.outcome {
        Outcome::Findings { findings } => {
            assert!(
                findings.iter().any(|f| f.kind.as_str() == "email"),
                "{findings:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// A worker that stops reading an upload (it concluded early, or died) does not hold the upload
/// up: the feed finds its connection closed and says so, and the report comes.
#[tokio::test]
async fn a_worker_that_stops_reading_lets_the_upload_go_on() {
    let checker = checker(256, Duration::from_secs(30));
    let (mut feed, check) = live_csv_check(&checker);
    // One record of 64 MiB: past the record bound, the scan concludes at once.
    let uploader = std::thread::spawn(move || {
        let first = b"commune;email\n".to_vec();
        assert!(feed.block(&[&first]));
        let block = vec![b'x'; 256 * 1024];
        let mut sent = 0usize;
        while sent < 64 << 20 {
            if !feed.block(&[&block[..128 * 1024], &block[128 * 1024..]]) {
                return sent;
            }
            sent += block.len();
        }
        panic!("the feed never noticed the worker had stopped");
    });
    let report = tokio::time::timeout(Duration::from_secs(20), check.report())
        .await
        .expect("the report comes")
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::Unreadable { .. }),
        "{:?}",
        report.outcome
    );
    let sent = tokio::task::spawn_blocking(move || uploader.join().unwrap())
        .await
        .unwrap();
    assert!(sent < 64 << 20);
}

/// A worker that neither reads nor exits (what a hostile file that took a worker over could make
/// of it; here a script that sleeps stands in for it, since the real worker always reads) does
/// not hold the upload for ever: a write that makes no progress for the check's deadline fails,
/// the feed stops, the upload goes on, and the deadline then stops the worker.
#[tokio::test]
async fn a_worker_that_neither_reads_nor_exits_stops_the_feed_not_the_upload() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("stuck-worker");
    std::fs::write(&program, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let checker = Checker::new(PoolSettings {
        program,
        memory_mib: 256,
        timeout: Duration::from_secs(1),
        max_parallel: 2,
    });
    // A script just written can be refused for an instant ("Text file busy") while another
    // test's fork still holds the descriptor it was written through: start again then.
    let mut attempts = 0;
    let (mut feed, check) = loop {
        let place = checker.live_place().expect("a free place");
        match checker.start_live(job(CheckKind::Identifiers, "csv", 0), place) {
            Err(Failure::Unavailable(e)) if e.contains("Text file busy") && attempts < 100 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            started => break started.unwrap(),
        }
    };
    let started = std::time::Instant::now();
    let uploader = std::thread::spawn(move || {
        let block = vec![b'x'; 256 * 1024];
        let mut sent = 0usize;
        // Far more than any socket's room: the writes must block, then fail.
        while sent < 1 << 30 {
            if !feed.block(&[&block]) {
                return sent;
            }
            sent += block.len();
        }
        panic!("the feed never noticed the worker had stopped reading");
    });
    let report = tokio::time::timeout(Duration::from_secs(20), check.report())
        .await
        .expect("the check ends");
    assert!(matches!(report, Err(Failure::Timeout(_))), "{report:?}");
    let sent = tokio::task::spawn_blocking(move || uploader.join().unwrap())
        .await
        .unwrap();
    assert!(
        sent < 64 << 20,
        "{sent} bytes sent to a worker that reads nothing"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

/// An upload that fails midway drops the feed without its end: the worker never takes what it
/// read for a whole file, and the check ends without waiting for its deadline.
#[tokio::test]
async fn an_upload_that_fails_ends_the_check() {
    let checker = checker(256, Duration::from_secs(30));
    let (mut feed, check) = live_csv_check(&checker);
    assert!(feed.block(&[b"commune;email\nLens;"]));
    drop(feed);
    let report = tokio::time::timeout(Duration::from_secs(10), check.report())
        .await
        .expect("the check ends");
    match report {
        Ok(r) => assert!(
            matches!(r.outcome, Outcome::Unreadable { .. }),
            "{:?}",
            r.outcome
        ),
        Err(e) => assert!(!matches!(e, Failure::Timeout(_)), "{e:?}"),
    }
}

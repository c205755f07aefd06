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
            assert!(findings.iter().any(|f| f.kind == "email"), "{findings:?}")
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
            assert_eq!(violations[0].rule, "min_count");
            assert_eq!(violations[0].row, Some(2));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_real_worker_is_stopped_at_its_cpu_and_wall_clock_limits() {
    // A 64 MiB CSV of one endless line: under a 1-second deadline the worker cannot finish it.
    let csv = vec![b'a'; 64 << 20];
    let err = checker(256, Duration::from_secs(1))
        .run(
            job(CheckKind::Identifiers, "csv", csv.len()),
            serve(Bytes::from(csv)),
        )
        .await;
    match err {
        Err(Failure::Timeout(1) | Failure::Cpu(1)) => {}
        // A fast machine may read it all within the second: then it must not be clean.
        Ok(report) => assert!(
            !matches!(report.outcome, Outcome::Findings { ref findings } if findings.is_empty()),
            "{report:?}"
        ),
        Err(other) => panic!("{other:?}"),
    }
}

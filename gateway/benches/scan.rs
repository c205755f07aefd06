//! Scan benchmark (issue 7): builds a ~100 MB OPS-like CSV in a temporary file, then times
//! `scan_identifiers` and `check_disclosure` on it and prints seconds, MB/s and the peak resident memory
//! (VmHWM). Run with `cargo bench -p gateway --bench scan`; `PASSERELLE_BENCH_MB` changes the size.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use gateway::checks::{
    check_disclosure, scan_identifiers, DisclosureRules, Format, IdentifierRules,
};

/// The shared fixtures, from the gateway crate or from the work tree.
fn fixtures() -> PathBuf {
    let near = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    if near.join("README.md").exists() {
        near
    } else {
        PathBuf::from("/work/shared/fixtures")
    }
}

/// Peak resident set size of this process, in MiB, from /proc (0 where there is none).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Writes an OPS-like CSV of about `target` bytes: the fixture's rows, repeated with fresh ids and
/// varied figures, so that every cell is scanned for real.
fn build(path: &PathBuf, fixture: &str, target: u64) -> std::io::Result<u64> {
    let source = BufReader::new(File::open(fixtures().join(fixture))?);
    let mut lines = source.lines();
    let header = lines.next().transpose()?.unwrap_or_default();
    let rows: Vec<Vec<String>> = lines
        .map_while(Result::ok)
        .map(|l| l.split(';').map(str::to_owned).collect())
        .collect();
    let column = |name: &str| header.split(';').position(|h| h == name);
    let (id, rpls, income) = (
        column("id_logement_bailleur"),
        column("id_logement_rpls"),
        column("revenu_fiscal_reference"),
    );
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "{header}")?;
    let mut written = header.len() as u64 + 1;
    let mut n: u64 = 0;
    while written < target {
        for row in &rows {
            n += 1;
            let mut line = String::with_capacity(400);
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push(';');
                }
                match i {
                    _ if Some(i) == id => line.push_str(&format!("HAB-{}", 100_000 + n)),
                    _ if Some(i) == rpls => {
                        line.push_str(&format!("{:011}", (n * 7_919_993) % 100_000_000_000))
                    }
                    _ if Some(i) == income && !cell.is_empty() => {
                        line.push_str(&format!("{}", 5_000 + (n * 37) % 45_000))
                    }
                    _ => line.push_str(cell),
                }
            }
            line.push_str("\r\n");
            out.write_all(line.as_bytes())?;
            written += line.len() as u64;
            if written >= target {
                break;
            }
        }
    }
    out.flush()?;
    Ok(written)
}

/// Scans `path` through the real worker binary, as the gateway does; returns the seconds and the
/// worker's peak resident memory in KiB.
fn isolated_scan(
    path: &std::path::Path,
    size: u64,
) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    use futures::{FutureExt as _, StreamExt as _};
    use gateway::worker::{CheckKind, Checker, DisclosureSettings, Job, OpenFrom, PoolSettings};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let checker = Checker::new(PoolSettings {
        program: env!("CARGO_BIN_EXE_passerelle").into(),
        memory_mib: 256,
        timeout: std::time::Duration::from_secs(600),
        max_parallel: 1,
    });
    let file = path.to_path_buf();
    let open: OpenFrom = Box::new(move |from: u64| {
        let file = file.clone();
        async move {
            use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
            let mut f = tokio::fs::File::open(&file).await?;
            f.seek(std::io::SeekFrom::Start(from)).await?;
            let stream = futures::stream::unfold(f, |mut f| async move {
                let mut buf = bytes::BytesMut::with_capacity(256 * 1024);
                match f.read_buf(&mut buf).await {
                    Ok(0) => None,
                    Ok(_) => Some((Ok(buf.freeze()), f)),
                    Err(e) => Some((Err(e), f)),
                }
            });
            Ok(stream.boxed())
        }
        .boxed()
    });
    let job = Job {
        check: CheckKind::Identifiers,
        extension: "csv".into(),
        size: Some(size),
        disclosure: DisclosureSettings::default(),
    };
    let start = Instant::now();
    let report = runtime.block_on(checker.run(job, open))?;
    Ok((start.elapsed().as_secs_f64(), report.peak_rss_kib))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb: u64 = std::env::var("PASSERELLE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let path =
        std::env::temp_dir().join(format!("passerelle-scan-bench-{}.csv", std::process::id()));
    let size = build(&path, "ops_habitat_henin.csv", mb * 1_000_000)?;
    let size_mb = size as f64 / 1e6;
    println!(
        "file: {} ({size_mb:.1} MB), peak RSS after writing it: {:.1} MiB",
        path.display(),
        peak_rss_mib()
    );

    let start = Instant::now();
    let findings = scan_identifiers(File::open(&path)?, Format::Csv, &IdentifierRules::default())?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "scan_identifiers: {secs:.2} s, {:.0} MB/s, {} findings, peak RSS {:.1} MiB",
        size_mb / secs,
        findings.len(),
        peak_rss_mib()
    );

    let start = Instant::now();
    let violations =
        check_disclosure(File::open(&path)?, Format::Csv, &DisclosureRules::default())?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "check_disclosure: {secs:.2} s, {:.0} MB/s, {} violations (capped), peak RSS {:.1} MiB",
        size_mb / secs,
        violations.len(),
        peak_rss_mib()
    );

    // The same scan as the gateway runs it: in an isolated `passerelle check-worker` process
    // under its limits, the file served to it block by block over a pipe.
    let (secs, peak) = isolated_scan(&path, size)?;
    println!(
        "scan_identifiers in the isolated worker: {secs:.2} s, {:.0} MB/s, worker peak RSS {:.1} MiB",
        size_mb / secs,
        peak as f64 / 1024.0
    );

    // The same file in Windows-1252, as many French exports are: one more decoding step.
    let cp1252 = path.with_extension("cp1252.csv");
    {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&cp1252)?);
        for line in BufReader::new(File::open(&path)?).lines() {
            let line = line?;
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&line);
            out.write_all(&bytes)?;
            out.write_all(b"\r\n")?;
        }
        out.flush()?;
    }
    if std::env::var_os("PASSERELLE_BENCH_KEEP").is_none() {
        std::fs::remove_file(&path)?;
    } else {
        std::fs::copy(&path, "/tmp/ops100.csv")?;
    }
    let start = Instant::now();
    let findings = scan_identifiers(
        File::open(&cp1252)?,
        Format::Csv,
        &IdentifierRules::default(),
    )?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "scan_identifiers (Windows-1252): {secs:.2} s, {:.0} MB/s, {} findings, peak RSS {:.1} MiB",
        size_mb / secs,
        findings.len(),
        peak_rss_mib()
    );
    std::fs::remove_file(&cp1252)?;

    // Worst case for the scan: names, first names and a NIR on every row (findings everywhere).
    let worst = path.with_extension("identifiers.csv");
    let size = build(&worst, "ops_with_identifiers.csv", mb * 1_000_000)?;
    let start = Instant::now();
    let findings = scan_identifiers(
        File::open(&worst)?,
        Format::Csv,
        &IdentifierRules::default(),
    )?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "scan_identifiers (identifiers on every row): {secs:.2} s, {:.0} MB/s, {} findings, peak RSS {:.1} MiB",
        size as f64 / 1e6 / secs,
        findings.len(),
        peak_rss_mib()
    );
    std::fs::remove_file(&worst)?;

    // The spreadsheet fixtures (2,000 dwellings each), for scale.
    for name in ["ops_habitat_henin.xlsx", "ops_habitat_henin.ods"] {
        let path = fixtures().join(name);
        let format = Format::from_path(&path).ok_or("unknown format")?;
        let start = Instant::now();
        let findings = scan_identifiers(File::open(&path)?, format, &IdentifierRules::default())?;
        println!(
            "scan_identifiers {name}: {:.3} s, {} findings, peak RSS {:.1} MiB",
            start.elapsed().as_secs_f64(),
            findings.len(),
            peak_rss_mib()
        );
    }
    Ok(())
}

//! Hostile and large files (issue 11), each checked in a child process whose peak resident memory
//! (VmHWM) is measured: the child is this test binary re-executed on [`child`] alone, under a 1 GiB
//! address-space limit so that a regression fails the test instead of exhausting the machine.
//!
//! The 1,000,000-row files are `#[ignore]`d (a few minutes in a debug build):
//! `cargo test -p gateway --lib -- --ignored million --test-threads=1`.

use std::io::{BufWriter, Cursor};
use std::path::{Path, PathBuf};
use std::process::Command;

use passerelle_tests::hostile;

use super::*;

const CASE: &str = "PASSERELLE_CHECK_CASE";
const FILE: &str = "PASSERELLE_CHECK_FILE";

/// What a child answered: its peak resident memory in MiB and the outcome of the check.
struct Outcome {
    peak_mib: u64,
    line: String,
}

/// Runs the check `case` (`scan:<ext>`, `disclosure:<ext>` or `long_line`) on `file` in a child.
fn in_child(case: &str, file: Option<&Path>) -> Outcome {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "checks::tests::bounded::child",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CASE, case)
    .env("MALLOC_ARENA_MAX", "2");
    if let Some(f) = file {
        cmd.env(FILE, f);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{case}: child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.split_once(name).map(|(_, v)| v))
            .unwrap_or_else(|| panic!("{case}: no {name} in {stdout}"))
            .trim()
            .to_owned()
    };
    let peak_kib: u64 = field("PEAK_KIB:").parse().unwrap();
    let outcome = Outcome {
        peak_mib: peak_kib >> 10,
        line: field("OUTCOME:"),
    };
    eprintln!("{case}: peak {} MiB, {}", outcome.peak_mib, outcome.line);
    outcome
}

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child side: does nothing unless started by [`in_child`].
#[test]
fn child() {
    let Ok(case) = std::env::var(CASE) else {
        return;
    };
    let limit = rustix::process::Rlimit {
        current: Some(1 << 30),
        maximum: Some(1 << 30),
    };
    rustix::process::setrlimit(rustix::process::Resource::As, limit).unwrap();
    let outcome = if case == "long_line" {
        let csv = hostile::LongLineCsv::new(500_000_000);
        let r = check_disclosure(csv, Format::Csv, &DisclosureRules::default());
        describe_v(r)
    } else {
        let path = PathBuf::from(std::env::var(FILE).unwrap());
        let (check, ext) = case.split_once(':').unwrap();
        let format = Format::from_extension(ext).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        if check == "scan" {
            match scan_identifiers(file, format, &IdentifierRules::default()) {
                Ok(f) => format!(
                    "ok [{}]",
                    f.iter()
                        .map(|x| format!(
                            "{}:{}",
                            x.kind.as_str(),
                            x.sheet.as_deref().unwrap_or("")
                        ))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Err(e) => format!("error {}", e.code()),
            }
        } else {
            describe_v(check_disclosure(file, format, &DisclosureRules::default()))
        }
    };
    println!("OUTCOME: {outcome}");
    println!("PEAK_KIB: {}", peak_kib());
}

fn describe_v(r: Result<Vec<Violation>, CheckError>) -> String {
    match r {
        Ok(v) => format!(
            "ok [{}]",
            v.iter()
                .map(|x| format!("{}:{}", x.rule.as_str(), x.sheet.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Err(e) => format!("error {}", e.code()),
    }
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Every small hostile file of the issue, refused or reported, in flat memory.
#[test]
fn hostile_files_are_refused_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "scan:xlsx",
            write_temp(&dir, "sst.xlsx", &hostile::xlsx_huge_shared_string_count()),
            // A table declaring more strings than its XML can hold is forged: refused unread.
            "error unreadable",
        ),
        (
            "scan:xls",
            write_temp(&dir, "dims.xls", &hostile::xls_huge_dimensions()),
            "error too_large",
        ),
        (
            "disclosure:xls",
            write_temp(&dir, "dims.xls", &hostile::xls_huge_dimensions()),
            "error too_large",
        ),
        (
            "scan:ods",
            write_temp(&dir, "rep.ods", &hostile::ods_repeated_cells()),
            "error too_large",
        ),
        (
            "scan:xlsx",
            write_temp(
                &dir,
                "sst7.xlsx",
                &hostile::xlsx_big_shared_strings(256, 32_000),
            ),
            "ok []",
        ),
        (
            "scan:zip",
            write_temp(&dir, "pdf.zip", &hostile::zip_with_pdf()),
            "ok [unreadable:annexe.pdf]",
        ),
        (
            "disclosure:zip",
            write_temp(&dir, "pdf.zip", &hostile::zip_with_pdf()),
            "ok [unreadable:annexe.pdf]",
        ),
        (
            "disclosure:pdf",
            write_temp(&dir, "r.pdf", &hostile::pdf_with_small_count()),
            "ok [unreadable:]",
        ),
        (
            "scan:zip",
            write_temp(&dir, "nested.zip", &hostile::zip_nested()),
            "ok [unreadable:dedans.zip]",
        ),
        (
            "scan:zip",
            write_temp(&dir, "bomb.zip", &hostile::zip_small_bomb_entry()),
            "error too_large",
        ),
    ];
    for (case, path, expected) in cases {
        let o = in_child(case, Some(&path));
        assert!(o.line.starts_with(expected), "{case} {path:?}: {}", o.line);
        assert!(o.peak_mib < 100, "{case} {path:?}: {} MiB", o.peak_mib);
    }
    let o = in_child("long_line", None);
    assert_eq!(o.line, "error too_large");
    assert!(o.peak_mib < 100, "long line: {} MiB", o.peak_mib);
}

/// A zip deposit holding a 100 MB xlsx (over the 64 MiB held in memory for an inner file): reported
/// as unreadable, in flat memory. (The 1 GB case of the issue: the same, `#[ignore]`d for its size.)
#[test]
fn zip_with_a_large_xlsx_is_reported() {
    large_inner_xlsx(100 << 20);
}

#[test]
#[ignore = "writes a 1 GB file"]
fn zip_with_a_1gb_xlsx_is_reported() {
    large_inner_xlsx(1 << 30);
}

fn large_inner_xlsx(bytes: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zip");
    let file = std::fs::File::create(&path).unwrap();
    hostile::write_zip_with_large_xlsx(BufWriter::new(file), bytes).unwrap();
    let o = in_child("scan:zip", Some(&path));
    assert_eq!(o.line, "ok [unreadable:inner.xlsx]");
    assert!(o.peak_mib < 100, "{} MiB", o.peak_mib);
}

/// 1,000 sheets: refused from the sheet bound before any sheet is read.
#[test]
fn too_many_sheets_are_refused() {
    let mut out = Cursor::new(Vec::new());
    hostile::write_xlsx_many_sheets(&mut out, 1000, 1024).unwrap();
    let e = scan_identifiers(
        Cursor::new(out.into_inner()),
        Format::Xlsx,
        &IdentifierRules::default(),
    )
    .unwrap_err();
    assert!(matches!(e, CheckError::TooLarge { .. }), "{e:?}");
}

#[test]
#[ignore = "writes 1,000 sheets of 1 MiB"]
fn thousand_sheets_of_a_mib_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheets.xlsx");
    let file = std::fs::File::create(&path).unwrap();
    hostile::write_xlsx_many_sheets(BufWriter::new(file), 1000, 1 << 20).unwrap();
    let o = in_child("scan:xlsx", Some(&path));
    assert_eq!(o.line, "error too_large");
    assert!(o.peak_mib < 100, "{} MiB", o.peak_mib);
}

/// Honest OPS files of `rows` rows in every format: read whole, no finding, in flat memory.
fn honest_files(rows: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    // PASSERELLE_BIG_ONLY=ods (say) makes and checks only the files of that name.
    let only = std::env::var("PASSERELLE_BIG_ONLY").unwrap_or_default();
    for (name, write) in [
        ("ops.csv", 0u8),
        ("ops_cp1252.csv", 1),
        ("ops.xlsx", 2),
        ("ops.ods", 3),
    ] {
        if !name.contains(&only) {
            continue;
        }
        let path = dir.path().join(name);
        let file = BufWriter::new(std::fs::File::create(&path).unwrap());
        match write {
            0 => hostile::write_ops_csv(file, rows, false).unwrap(),
            1 => hostile::write_ops_csv(file, rows, true).unwrap(),
            2 => hostile::write_ops_xlsx(file, rows).unwrap(),
            _ => hostile::write_ops_ods(file, rows).unwrap(),
        }
        paths.push(path);
    }
    for path in &paths {
        let ext = path.extension().unwrap().to_str().unwrap();
        let o = in_child(&format!("scan:{ext}"), Some(path));
        assert_eq!(o.line, "ok []", "{path:?}");
        assert!(o.peak_mib < 100, "{path:?}: {} MiB", o.peak_mib);
    }
}

#[test]
fn honest_ops_files_fit() {
    honest_files(20_000);
}

#[test]
#[ignore = "1,000,000-row files: minutes in a debug build"]
fn million_row_ops_files_fit() {
    honest_files(1_000_000);
}

/// The shared-strings bound refuses text beyond it.
#[test]
fn shared_strings_beyond_the_bound_are_refused() {
    let rules = IdentifierRules {
        limits: ArchiveLimits {
            max_shared_strings_bytes: 1 << 20,
            ..ArchiveLimits::default()
        },
        ..IdentifierRules::default()
    };
    let book = hostile::xlsx_big_shared_strings(64, 32_000);
    let e = scan_identifiers(Cursor::new(book), Format::Xlsx, &rules).unwrap_err();
    assert!(matches!(e, CheckError::TooLarge { .. }), "{e:?}");
}

/// An xls within the bounds is still read (and its DIMENSIONS honoured).
#[test]
fn honest_xls_is_read() {
    let book = hostile::xls(3, &[(0, 0, 1.0), (1, 0, 3.0), (2, 1, 12.0)]);
    let mut c = Collect::default();
    visit(
        Cursor::new(book),
        Format::Xls,
        &ArchiveLimits::default(),
        &mut c,
    )
    .unwrap();
    assert_eq!(c.tables.len(), 1, "{:?}", c.tables);
    let rows: Vec<(u64, Vec<String>)> = c.tables[0].1.clone();
    assert_eq!(
        rows,
        vec![
            (1, vec!["1".to_owned()]),
            (2, vec!["3".to_owned()]),
            (3, vec![String::new(), "12".to_owned()]),
        ]
    );
}

/// The streaming ods reader: repeated cells and rows, paragraphs, spaces, percentages, comments.
#[test]
fn ods_repetitions_and_text() {
    let book = hostile::ods_with_tables(concat!(
        r#"<table:table table:name="T"><table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="4"/></table:table-row>"#,
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="2"/>b</text:p><text:p>c &amp; d</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell>"#,
        r#"<table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell>"#,
        r#"<table:table-cell office:value-type="percentage" office:value="0.5"><text:p>50%</text:p></table:table-cell></table:table-row>"#,
        r#"<table:table-row table:number-rows-repeated="2"><table:table-cell/><table:table-cell office:value-type="float" office:value="7"/></table:table-row>"#,
        r#"<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
    ));
    let mut c = Collect::default();
    visit(
        Cursor::new(book),
        Format::Ods,
        &ArchiveLimits::default(),
        &mut c,
    )
    .unwrap();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        c.tables,
        vec![(
            Some("T".to_owned()),
            vec![
                (3, s(&["a  b\nc & d", "5", "5", "50 %"])),
                (4, s(&["", "7"])),
                (5, s(&["", "7"])),
            ]
        )]
    );
}

//! What lies on disk and in exports: the shared fixtures, the files under a data directory, and
//! CSV texts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The bytes of a file of the shared fixtures (`../shared/fixtures/` beside the repository).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/").to_owned() + name;
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Sizes of the files under `dir`, except the SQLite database and its journals, and the mail
/// outbox (notifications are written in the background, names only: they are not stored data, and
/// one written late would make the comparison of two listings a race).
pub fn stored_files(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                if path.file_name().is_some_and(|n| n != "outbox") {
                    stack.push(path);
                }
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
            if name.contains("sqlite")
                || name.ends_with(".db")
                || name.ends_with("-wal")
                || name.ends_with("-shm")
                || name.ends_with("-journal")
            {
                continue;
            }
            out.insert(path, meta.len());
        }
    }
    out
}

/// Asserts that no file under the data directory appeared or grew by `threshold` bytes or more.
pub fn assert_nothing_stored(
    before: &BTreeMap<PathBuf, u64>,
    after: &BTreeMap<PathBuf, u64>,
    threshold: u64,
    what: &str,
) {
    for (path, size) in after {
        let old = before.get(path).copied().unwrap_or(0);
        assert!(
            size.saturating_sub(old) < threshold,
            "{what}: {} holds {size} bytes (was {old})",
            path.display()
        );
    }
}

/// Splits a CSV text (`;`-separated, `"` quoting, CRLF or LF) into records of fields.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ';' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field in CSV");
    if any {
        record.push(field);
        records.push(record);
    }
    records
}

//! Shared by the content targets: both checks on the input, read as `format`. Any outcome is fine
//! except a panic, an abort, a timeout or memory beyond libFuzzer's `-rss_limit_mb`.

use std::io::Cursor;

use gateway::checks::{check_disclosure, scan_identifiers, DisclosureRules, Format, IdentifierRules};

/// Runs the identifier scan and the disclosure check on `data`.
pub fn run(data: &[u8], format: Format) {
    let _ = scan_identifiers(Cursor::new(data), format, &IdentifierRules::default());
    let _ = check_disclosure(Cursor::new(data), format, &DisclosureRules::default());
}

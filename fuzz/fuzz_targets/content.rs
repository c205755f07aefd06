//! Shared by the content targets: both checks on the input, read as `format`. Any outcome is fine
//! except a panic that escapes the checks, an abort, a timeout or memory beyond libFuzzer's
//! `-rss_limit_mb`.

use std::io::Cursor;

use gateway::checks::{check_disclosure, scan_identifiers, DisclosureRules, Format, IdentifierRules};

/// Runs the identifier scan and the disclosure check on `data`.
pub fn run(data: &[u8], format: Format) {
    let _ = scan_identifiers(Cursor::new(data), format, &IdentifierRules::default());
    let _ = check_disclosure(Cursor::new(data), format, &DisclosureRules::default());
}

/// Lets a panic raised inside calamine unwind to the `catch_unwind` the xls reader puts around it,
/// as it does in the gateway's check worker (the file is then refused as damaged).
///
/// libfuzzer-sys installs a panic hook that aborts on every panic, caught or not, which would report
/// a panic the reader contains as a crash. This hook keeps that abort for every panic raised anywhere
/// else, in our code above all; and a calamine panic that escaped the readers would still abort, in
/// libfuzzer-sys's own `catch_unwind` around the target. Known calamine panics are refused before
/// calamine runs (see `gateway/src/checks/xls.rs`): each one the fuzzer finds is added there.
pub fn contain_calamine_panics() {
    let fuzzer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_calamine = info
            .location()
            .is_some_and(|l| l.file().contains("/calamine-"));
        if in_calamine {
            eprintln!("contained calamine panic: {info}");
        } else {
            fuzzer_hook(info);
        }
    }));
}

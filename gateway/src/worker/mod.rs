//! Isolation of the content checks (issue 11): every parse of user content (the identifier scan of a
//! deposit, the disclosure check of a result, whatever the format) runs in a child process, the
//! `passerelle` binary re-executed as `passerelle check-worker`, under operating-system limits
//! (address space `checks.worker_memory_mib`, CPU seconds and a wall-clock deadline
//! `checks.timeout_secs`). The gateway serves the worker the decrypted file range by range on a pipe
//! and reads back a typed [`protocol::Report`]; nothing of the plaintext touches the disk.
//!
//! A deposit read front to back (CSV) is checked while it is being uploaded: the store's own
//! `blob-hash` thread pushes the worker each block it has just hashed ([`pool::Feed`], a
//! [`storage::PlainTap`]), with no copy and no work on the async side; an empty block ends the
//! file, and the worker asks for nothing (a request then means it needs the stored file).
//!
//! A spreadsheet that makes a reader reserve terabytes aborts the worker, never the gateway; the
//! caller turns every [`pool::Failure`] into "unreadable" (a deposit is held, a result is refused).
//!
//! ```text
//! gateway ──Job──▶ worker          (stdin)
//! gateway ◀──R off len── worker    (stdout)   … as often as the reader needs
//! gateway ──len, bytes──▶ worker   (stdin)
//! gateway ◀──D Report── worker     (stdout)
//!
//! a file still arriving:
//! gateway ──Job──▶ worker                     (stdin)
//! store's thread ──len, bytes──▶ worker       (stdin)   … block after block, then len 0
//! gateway ◀──D Report── worker                (stdout)
//! ```

pub mod child;
pub mod pool;
pub mod protocol;

pub use pool::{Checker, Failure, Feed, LiveCheck, OpenFrom, PoolSettings};
pub use protocol::{
    CheckKind, DisclosureSettings, FindingReport, Job, Outcome, Report, ViolationReport,
};

/// The hidden subcommand that makes the binary a check worker.
pub const SUBCOMMAND: &str = "check-worker";

/// Call first thing in `main`: when the process was started as a check worker, runs the worker and
/// returns its exit code; otherwise returns `None` and the program goes on.
pub fn run_if_worker() -> Option<i32> {
    let mut args = std::env::args();
    let _program = args.next();
    if args.next().as_deref() != Some(SUBCOMMAND) {
        return None;
    }
    let rest: Vec<String> = args.collect();
    Some(child::main(&rest))
}

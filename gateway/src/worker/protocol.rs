//! The conversation between the gateway and a check worker, over the worker's stdin and stdout.
//!
//! The gateway writes one [`Job`] (a length-prefixed JSON frame); the worker then pulls the file's
//! plaintext by asking for byte ranges (`R`, offset, length) which the gateway answers with a
//! length-prefixed block read from the encrypted store; the worker ends with one [`Report`] (`D`,
//! a length-prefixed JSON frame). Pulling ranges rather than pushing the file lets the zip-based
//! formats seek (their directory is at the end) while neither side ever holds the whole file, and
//! nothing of the plaintext touches the disk.
//!
//! Every length read from the other side is checked against a bound before anything is allocated.

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Largest job frame the worker accepts.
pub const MAX_JOB_BYTES: u32 = 1 << 20;
/// Largest report frame the gateway accepts: 1,000 violations of a few hundred bytes fit easily, and
/// a worker gone wrong cannot make the gateway hold much for it.
pub const MAX_REPORT_BYTES: u32 = 4 << 20;
/// Largest block the worker may ask for at once.
pub const MAX_BLOCK_BYTES: u32 = 4 << 20;

/// Tag of a range request (worker → gateway).
pub const TAG_READ: u8 = b'R';
/// Tag of the final report (worker → gateway).
pub const TAG_DONE: u8 = b'D';

/// Which check to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The scan of a deposit for direct identifiers.
    Identifiers,
    /// The statistical disclosure check of a result.
    Disclosure,
}

/// The configurable thresholds of the disclosure check (the rest are the built-in defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisclosureSettings {
    /// Smallest count that may be published.
    pub min_count: u32,
    /// Lowest response rate that may be published, in percent.
    pub min_response_rate: f64,
    /// Headers of count columns (`None`: the defaults).
    pub count_patterns: Option<Vec<String>>,
    /// Headers of share columns (`None`: the defaults).
    pub share_patterns: Option<Vec<String>>,
    /// Headers of response-rate columns (`None`: the defaults).
    pub response_rate_patterns: Option<Vec<String>>,
}

impl Default for DisclosureSettings {
    fn default() -> Self {
        Self {
            min_count: 11,
            min_response_rate: 60.0,
            count_patterns: None,
            share_patterns: None,
            response_rate_patterns: None,
        }
    }
}

/// What the gateway asks a worker to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The check.
    pub check: CheckKind,
    /// The file's extension, without its dot (`csv`, `xlsx`…): the format it is read as.
    pub extension: String,
    /// The plaintext length of the file; `None` while the file is still arriving (the check then
    /// reads it as it streams in, and a short block marks its end).
    pub size: Option<u64>,
    /// Thresholds of the disclosure check (ignored by the identifier scan).
    pub disclosure: DisclosureSettings,
}

/// A direct identifier found by the scan, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingReport {
    /// The sheet (`None` for a CSV file).
    pub sheet: Option<String>,
    /// The column's header (empty when the finding concerns the whole file or an entry).
    pub column: String,
    /// The kind's machine code (`nir`, `email`…, or `unreadable`).
    pub kind: String,
    /// How many cells.
    pub count: u64,
    /// The first one, masked; for `unreadable`, which part and why.
    pub example: String,
    /// A sentence for a person, in French.
    pub message_fr: String,
    /// The same in English.
    pub message_en: String,
}

/// A cell that breaks a disclosure rule, as the API shows it (all `None` for `unreadable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationReport {
    /// The sheet (`None` for a CSV file).
    pub sheet: Option<String>,
    /// The 1-based row as a spreadsheet shows it.
    pub row: Option<u64>,
    /// The column's header.
    pub column: Option<String>,
    /// The cell as written.
    pub value: Option<String>,
    /// The rule's machine code (`min_count`…, or `unreadable`).
    pub rule: String,
    /// A sentence for a person, in French.
    pub message_fr: String,
    /// The same in English.
    pub message_en: String,
}

/// What the check concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The identifier scan's findings (empty: nothing found).
    Findings {
        /// One per (sheet, column, kind).
        findings: Vec<FindingReport>,
    },
    /// The disclosure check's violations (empty: the result may be released).
    Violations {
        /// In file order.
        violations: Vec<ViolationReport>,
    },
    /// The file could not be read at all.
    Unreadable {
        /// Why, in French.
        reason_fr: String,
        /// Why, in English.
        reason_en: String,
    },
}

/// The worker's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The conclusion.
    pub outcome: Outcome,
    /// The worker's peak resident memory, in KiB (from `/proc/self/status`, 0 if unknown).
    pub peak_rss_kib: u64,
}

/// Writes a length-prefixed frame.
pub fn write_frame(out: &mut impl Write, tag: Option<u8>, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| io::Error::other("frame too large"))?;
    if let Some(tag) = tag {
        out.write_all(&[tag])?;
    }
    out.write_all(&len.to_be_bytes())?;
    out.write_all(body)?;
    out.flush()
}

/// Reads a length-prefixed frame of at most `max` bytes (the length is checked before allocating).
pub fn read_frame(input: &mut impl Read, max: u32) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes, over the {max} allowed"),
        ));
    }
    let mut body = vec![0u8; len as usize];
    input.read_exact(&mut body)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_lengths_are_bounded() {
        let mut buf = Vec::new();
        write_frame(&mut buf, None, b"hello").unwrap();
        assert_eq!(read_frame(&mut &buf[..], 5).unwrap(), b"hello");
        let err = read_frame(&mut &buf[..], 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // A hostile length of 4 GiB is refused before any allocation.
        let huge = u32::MAX.to_be_bytes();
        assert!(read_frame(&mut &huge[..], MAX_REPORT_BYTES).is_err());
    }

    #[test]
    fn report_json_is_stable() {
        let r = Report {
            outcome: Outcome::Unreadable {
                reason_fr: "x".into(),
                reason_en: "y".into(),
            },
            peak_rss_kib: 7,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"outcome":{"outcome":"unreadable","reason_fr":"x","reason_en":"y"},"peak_rss_kib":7}"#
        );
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), r);
    }
}

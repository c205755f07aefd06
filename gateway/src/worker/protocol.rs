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

use crate::domain::{FindingKind, Rule};
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

/// A direct identifier found by the scan (the gateway words it: [`crate::domain::wording`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingReport {
    /// The sheet (`None` for a CSV file); for `unreadable`, the entry that could not be read.
    pub sheet: Option<String>,
    /// The column's header (empty when the finding concerns the whole file or an entry).
    pub column: String,
    /// What was found.
    pub kind: FindingKind,
    /// How many cells.
    pub count: u64,
    /// The first one, masked; for `unreadable`, why, in French.
    pub example: String,
}

/// A cell that breaks a disclosure rule (the gateway words it: [`crate::domain::wording`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationReport {
    /// The sheet (`None` for a CSV file); for `unreadable`, the entry that could not be read
    /// (`None`: the whole file).
    pub sheet: Option<String>,
    /// The 1-based row as a spreadsheet shows it (0 for `unreadable`).
    pub row: u64,
    /// The column's header.
    pub column: String,
    /// The cell as written; for `unreadable`, why, in French.
    pub value: String,
    /// The rule it breaks.
    pub rule: Rule,
    /// The row's labels (`commune`, `quartier`…), bounded by the check.
    #[serde(default)]
    pub labels: Vec<String>,
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

/// Reads the length of a length-prefixed frame and checks it is at most `max` bytes; the frame's
/// bytes follow in `input`, for the caller to read.
pub fn read_frame_len(input: &mut impl Read, max: u32) -> io::Result<usize> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes, over the {max} allowed"),
        ));
    }
    Ok(len as usize)
}

/// Reads a length-prefixed frame of at most `max` bytes into `buf`, whose allocation is kept from one
/// frame to the next (grown, and zeroed, only when a frame is longer than any before); returns the
/// frame's length: the frame is `buf[..len]`.
pub fn read_frame_into(input: &mut impl Read, max: u32, buf: &mut Vec<u8>) -> io::Result<usize> {
    let len = read_frame_len(input, max)?;
    if buf.len() < len {
        buf.resize(len, 0);
    }
    input.read_exact(&mut buf[..len])?;
    Ok(len)
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
        let mut kept = Vec::new();
        assert!(read_frame_into(&mut &huge[..], MAX_BLOCK_BYTES, &mut kept).is_err());
        assert!(kept.is_empty());
        // A buffer kept from frame to frame: a shorter frame reuses it, its length says what is new.
        let mut two = Vec::new();
        write_frame(&mut two, None, b"longer").unwrap();
        write_frame(&mut two, None, b"abc").unwrap();
        let mut input = &two[..];
        assert_eq!(read_frame_into(&mut input, 16, &mut kept).unwrap(), 6);
        assert_eq!(&kept[..6], b"longer");
        assert_eq!(read_frame_into(&mut input, 16, &mut kept).unwrap(), 3);
        assert_eq!(&kept[..3], b"abc");
        assert_eq!(
            read_frame_into(&mut input, 5, &mut kept)
                .unwrap_err()
                .kind(),
            io::ErrorKind::UnexpectedEof
        );
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

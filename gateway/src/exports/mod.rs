//! Exports for spreadsheets: the register of processing operations, the administrators'
//! journal and the access review as CSV (UTF-8 with a byte-order mark, `;` separators, Paris
//! time, French words from admin-ui's word tables, cells safe from formula injection).
//!
//! The services hand the facts; this module owns how they are written, so that `service/`
//! never borrows the interface's words.

pub(crate) mod incident;
mod incident_draft;
mod journal;
mod platform_register;
mod refused_cells;
mod register;
mod review;

pub(crate) use refused_cells::refused_cells_csv;

use crate::clock::from_millis;

/// One CSV line for a spreadsheet: the cells made safe ([`push_csv_cell`]), `;`-separated, CRLF-ended.
pub(crate) fn csv_row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = String::new();
    push_csv_cells(&mut line, cells);
    line.push_str("\r\n");
    line
}

/// Appends `cells` to `out` as [`csv_row`] writes them, without the line end (a line may start
/// with cells written otherwise, such as [`ParisSeconds`]).
pub(crate) fn push_csv_cells<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        push_csv_cell(out, cell.as_ref());
    }
}

/// Appends one CSV cell to `out`: quoted when needed, and neutralised when a spreadsheet would
/// read it as a formula; nothing is allocated (exports may have a million lines).
pub(crate) fn push_csv_cell(out: &mut String, value: &str) {
    let quoted = value.contains([';', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if formula_like(value) {
        out.push('\'');
    }
    if quoted {
        for part in value.split_inclusive('"') {
            out.push_str(part);
            if part.ends_with('"') {
                out.push('"');
            }
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends instants (ms) in Paris time to the second (`15/01/2027 09:00:00`); the offset is
/// looked up once per hour of UTC time (Paris changes its offset on the hour), so a million
/// lines do not each pay for the time-zone rules.
pub(crate) struct ParisSeconds {
    hour: i64,
    offset_secs: i64,
}

impl ParisSeconds {
    pub(crate) fn new() -> Self {
        Self {
            hour: i64::MIN,
            offset_secs: 0,
        }
    }

    pub(crate) fn push(&mut self, out: &mut String, ms: i64) {
        use chrono::{Datelike as _, Offset as _, TimeZone as _, Timelike as _};
        use std::fmt::Write as _;
        let hour = ms.div_euclid(3_600_000);
        if hour != self.hour {
            let offset = chrono_tz::Europe::Paris
                .offset_from_utc_datetime(&from_millis(ms).naive_utc())
                .fix();
            self.hour = hour;
            self.offset_secs = i64::from(offset.local_minus_utc());
        }
        let local = from_millis(ms).naive_utc() + chrono::Duration::seconds(self.offset_secs);
        let _ = write!(
            out,
            "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
            local.day(),
            local.month(),
            local.year(),
            local.hour(),
            local.minute(),
            local.second()
        );
    }
}

/// Whether a spreadsheet would read `value` as a formula (or a command): the one list of the
/// characters every export disarms.
fn formula_like(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// An instant (ms) in Paris time to the second, as the CSV exports write it: `15/01/2027 09:00:00`.
pub(crate) fn paris_seconds(ms: i64) -> String {
    let mut out = String::with_capacity(19);
    ParisSeconds::new().push(&mut out, ms);
    out
}

/// An RFC 3339 instant in Paris time to the second (the text itself when it is not one).
pub(crate) fn paris_seconds_rfc(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| paris_seconds(t.timestamp_millis()))
        .unwrap_or_else(|_| at.to_owned())
}

#[cfg(test)]
mod tests {
    use super::paris_seconds;

    /// One CSV cell as [`super::push_csv_cell`] writes it.
    fn csv_cell(value: &str) -> String {
        let mut out = String::new();
        super::push_csv_cell(&mut out, value);
        out
    }

    #[test]
    fn cells_and_instants_are_written_in_place() {
        let mut clock = super::ParisSeconds::new();
        // Around both changes of 2027 (28 March and 31 October, at 01:00 UTC), and in between.
        for ms in [
            1_806_195_599_000i64,
            1_806_195_600_000,
            1_806_199_199_999,
            1_824_944_399_000,
            1_824_944_400_000,
            1_800_000_000_000,
            0,
        ] {
            let mut out = String::new();
            clock.push(&mut out, ms);
            let chrono_says = crate::clock::from_millis(ms)
                .with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y %H:%M:%S")
                .to_string();
            assert_eq!(out, chrono_says, "{ms}");
        }
        for (value, written) in [
            ("simple", "simple"),
            ("a;b", "\"a;b\""),
            ("dit \"x\"", "\"dit \"\"x\"\"\""),
            ("=1+1", "'=1+1"),
            ("-3", "'-3"),
            ("", ""),
            ("été", "été"),
            ("=a;\"b", "\"'=a;\"\"b\""),
        ] {
            let mut out = String::from("x;");
            super::push_csv_cell(&mut out, value);
            assert_eq!(out, format!("x;{written}"), "{value}");
        }
    }

    #[test]
    fn paris_time_follows_daylight_saving() {
        // 15 January 2027 08:00 UTC is 09:00 in Paris; 1 July 2027 08:00 UTC is 10:00.
        assert_eq!(paris_seconds(1_800_000_000_000), "15/01/2027 09:00:00");
        assert_eq!(paris_seconds(1_814_428_800_000), "01/07/2027 10:00:00");
    }

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("simple"), "simple");
        assert_eq!(csv_cell("a;b"), "\"a;b\"");
        assert_eq!(csv_cell("dit \"x\""), "\"dit \"\"x\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
    }
}

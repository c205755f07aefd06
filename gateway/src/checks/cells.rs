//! Spreadsheet cells as text, and sheets named for reports: what the xlsx, ods and xls readers
//! share. Strings stay as written, numbers become their number (`7`, `0.5`), and a number with a
//! percent format becomes the percentage the sheet shows (`0.5` → `50 %`).

use std::fmt::Write as _;

use calamine::{Data, Range};

use super::limits::Budget;
use super::table::{RowBuf, TableFeeder, TableVisitor};
use super::CheckError;

/// A sheet's name in reports: `prefix › name` inside a zip deposit.
pub(crate) fn label(prefix: Option<&str>, name: &str) -> String {
    match prefix {
        Some(p) => format!("{p} › {name}"),
        None => name.to_owned(),
    }
}

/// Writes a cell as text: strings as written, numbers as their number (`7`, not `7.0`; `0.5`).
pub(crate) fn cell_text(cell: &Data, out: &mut String) {
    out.clear();
    // Writing into a String cannot fail.
    let _ = match cell {
        Data::Empty => Ok(()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        Data::Int(i) => write!(out, "{i}"),
        Data::Float(f) => write_float(*f, out),
        Data::Bool(b) => write!(out, "{}", if *b { "VRAI" } else { "FAUX" }),
        Data::DateTime(d) => write!(out, "{d}"),
        Data::Error(e) => write!(out, "#{e:?}"),
    };
}

/// A percent-formatted cell as its percentage, the way the sheet shows it: 0.5 → `50 %`.
pub(crate) fn write_percent(f: f64, out: &mut String) {
    out.clear();
    // Rounding drops the binary noise of the product (0.333 × 100 = 33.300000000000004).
    let _ = write_float((f * 100.0 * 1e9).round() / 1e9, out);
    out.push_str(" %");
}

/// A number as a person writes it: `7`, not `7.0`; `0.5`.
pub(crate) fn write_float(f: f64, out: &mut String) -> std::fmt::Result {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        write!(out, "{}", f as i64)
    } else {
        write!(out, "{f}")
    }
}

/// Feeds a sheet loaded whole by calamine (xls), skipping its blank rows.
pub(crate) fn visit_range<V: TableVisitor + ?Sized>(
    range: &Range<Data>,
    sheet: &str,
    budget: &mut Budget,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let Some((start_row, start_col)) = range.start() else {
        return Ok(());
    };
    let lead = start_col as usize;
    let mut row = RowBuf::new(usize::MAX);
    let mut feeder = TableFeeder::new(Some(sheet));
    for (i, cells) in range.rows().enumerate() {
        let row_num = u64::from(start_row) + i as u64 + 1;
        row.clear();
        for (j, cell) in cells.iter().enumerate() {
            if !matches!(cell, Data::Empty) {
                row.set(row_num, lead + j, |t| cell_text(cell, t))?;
            }
        }
        if row.non_empty() > 0 {
            budget.cells(row.width())?;
            feeder.push(visitor, row_num, row.cells())?;
        }
    }
    feeder.finish(visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_text() {
        let mut s = String::new();
        cell_text(&Data::Float(7.0), &mut s);
        assert_eq!(s, "7");
        cell_text(&Data::Float(0.5), &mut s);
        assert_eq!(s, "0.5");
        cell_text(&Data::Int(-3), &mut s);
        assert_eq!(s, "-3");
        cell_text(&Data::Float(255016219061202.0), &mut s);
        assert_eq!(s, "255016219061202");
        cell_text(&Data::Empty, &mut s);
        assert_eq!(s, "");
    }
}

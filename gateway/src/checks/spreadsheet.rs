//! Spreadsheets (xlsx, xls, ods) through calamine: every sheet is a table.
//!
//! xlsx and ods are ZIP archives: they are bounded (see [`super::ArchiveLimits`]) before calamine
//! opens them. xlsx sheets are streamed cell by cell (only the shared strings and one row are held);
//! xls and ods sheets are loaded one at a time by calamine, within the archive bound.
//!
//! Cells become text: strings as written, numbers as their number (`7`, `0.5`), and in xlsx a number
//! with a percent format as the percentage the sheet shows (`0.5` → `50 %`), so that shares and
//! response rates stored as fractions are judged in percent. (calamine does not expose the formats of
//! xls and ods cells: there a share stored as a fraction is read as the fraction.)

use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, DataRef, Ods, Range, Reader, Xls, Xlsx};

use super::archive::{open_bounded, ArchiveKind, ArchiveLimits};
use super::table::{Cells, TableFeeder, TableVisitor, MAX_COLUMNS};
use super::{CheckError, Format};

fn corrupt(format: Format) -> CheckError {
    match format {
        Format::Xls => CheckError::unreadable(
            "Le fichier Excel est endommagé ou n'est pas un vrai fichier .xls.",
            "The Excel file is damaged or is not a real .xls file.",
        ),
        Format::Ods => CheckError::unreadable(
            "Le fichier OpenDocument est endommagé ou n'est pas un vrai fichier .ods.",
            "The OpenDocument file is damaged or is not a real .ods file.",
        ),
        _ => CheckError::unreadable(
            "Le fichier Excel est endommagé ou n'est pas un vrai fichier .xlsx.",
            "The Excel file is damaged or is not a real .xlsx file.",
        ),
    }
}

/// Reads every sheet of a spreadsheet and feeds it to `visitor`. With a `prefix` (the file's name in a
/// zip deposit) sheets are named `prefix › Sheet`.
pub(crate) fn visit_spreadsheet<R: Read + Seek, V: TableVisitor + ?Sized>(
    mut input: R,
    format: Format,
    limits: &ArchiveLimits,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    match format {
        Format::Xlsx | Format::Ods => {
            let kind = if format == Format::Xlsx {
                ArchiveKind::Xlsx
            } else {
                ArchiveKind::Ods
            };
            drop(open_bounded(&mut input, limits, kind)?);
            input.seek(SeekFrom::Start(0))?;
            if format == Format::Xlsx {
                let wb: Xlsx<R> = Xlsx::new(input).map_err(|_| corrupt(format))?;
                visit_xlsx(wb, prefix, visitor)
            } else {
                let wb: Ods<R> = Ods::new(input).map_err(|_| corrupt(format))?;
                visit_workbook(wb, format, prefix, visitor)
            }
        }
        _ => {
            let wb: Xls<R> = Xls::new(input).map_err(|_| corrupt(format))?;
            visit_workbook(wb, format, prefix, visitor)
        }
    }
}

fn visit_workbook<R: Read + Seek, W: Reader<R>, V: TableVisitor + ?Sized>(
    mut wb: W,
    format: Format,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|_| corrupt(format))?;
        let label = match prefix {
            Some(p) => format!("{p} › {name}"),
            None => name,
        };
        visit_range(&range, &label, visitor)?;
    }
    Ok(())
}

fn visit_xlsx<R: Read + Seek, V: TableVisitor + ?Sized>(
    mut wb: Xlsx<R>,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    for name in wb.sheet_names() {
        let label = match prefix {
            Some(p) => format!("{p} › {name}"),
            None => name.clone(),
        };
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|_| corrupt(Format::Xlsx))?;
        let mut feeder = TableFeeder::new(Some(&label));
        let mut texts: Vec<String> = Vec::new();
        let mut width = 0usize;
        let mut current: Option<u32> = None;
        while let Some((cell, style)) = cells
            .next_cell_with_style_id()
            .map_err(|_| corrupt(Format::Xlsx))?
        {
            let (r, c) = cell.get_position();
            if current != Some(r) {
                if let Some(prev) = current {
                    feeder.push(visitor, u64::from(prev) + 1, Cells::Texts(&texts[..width]))?;
                }
                for t in &mut texts[..width] {
                    t.clear();
                }
                width = 0;
                current = Some(r);
            }
            let c = c as usize;
            if c >= MAX_COLUMNS {
                return Err(corrupt(Format::Xlsx));
            }
            if texts.len() <= c {
                texts.resize(c + 1, String::new());
            }
            let percent = cells
                .styles()
                .get(style)
                .and_then(|s| s.number_format.as_ref())
                .is_some_and(|f| f.format_code.contains('%'));
            match cell.get_value() {
                DataRef::Float(f) if percent => write_percent(*f, &mut texts[c]),
                DataRef::Int(i) if percent => write_percent(*i as f64, &mut texts[c]),
                value => cell_ref_text(value, &mut texts[c]),
            }
            width = width.max(c + 1);
        }
        if let Some(prev) = current {
            feeder.push(visitor, u64::from(prev) + 1, Cells::Texts(&texts[..width]))?;
        }
        feeder.finish(visitor)?;
    }
    Ok(())
}

/// [`cell_text`] for the borrowed cells of the streaming xlsx reader.
fn cell_ref_text(cell: &DataRef<'_>, out: &mut String) {
    out.clear();
    // Writing into a String cannot fail.
    let _ = match cell {
        DataRef::Empty => Ok(()),
        DataRef::SharedString(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::Int(i) => write!(out, "{i}"),
        DataRef::Float(f) => write_float(*f, out),
        DataRef::Bool(b) => write!(out, "{}", if *b { "VRAI" } else { "FAUX" }),
        DataRef::DateTime(d) => write!(out, "{d}"),
        DataRef::Error(e) => write!(out, "#{e:?}"),
    };
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
fn write_percent(f: f64, out: &mut String) {
    out.clear();
    // Rounding drops the binary noise of the product (0.333 × 100 = 33.300000000000004).
    let _ = write_float((f * 100.0 * 1e9).round() / 1e9, out);
    out.push_str(" %");
}

fn write_float(f: f64, out: &mut String) -> std::fmt::Result {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        write!(out, "{}", f as i64)
    } else {
        write!(out, "{f}")
    }
}

fn visit_range<V: TableVisitor + ?Sized>(
    range: &Range<Data>,
    sheet: &str,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let Some((start_row, start_col)) = range.start() else {
        return Ok(());
    };
    let lead = start_col as usize;
    let mut texts: Vec<String> = vec![String::new(); lead + range.width()];
    let mut feeder = TableFeeder::new(Some(sheet));
    for (i, row) in range.rows().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            cell_text(cell, &mut texts[lead + j]);
        }
        feeder.push(
            visitor,
            u64::from(start_row) + i as u64 + 1,
            Cells::Texts(&texts),
        )?;
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

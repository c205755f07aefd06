//! A streaming ods reader over `content.xml` with quick-xml: one row held at a time.
//!
//! Repeated cells and rows (`table:number-columns-repeated`, `table:number-rows-repeated`) are never
//! expanded when they are empty (LibreOffice ends every sheet with a million of them); non-empty
//! repetitions are handed over as many times as they repeat, each row charged to the cell budget
//! ([`super::ArchiveLimits::max_cells`], by its width) before it is produced.

use std::io::{Read, Seek};

use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::cells::{label, write_float, write_percent};
use super::limits::{ArchiveLimits, Budget};
use super::table::{RowBuf, TableFeeder, TableVisitor};
use super::xml::{append_text, attr, attr_text, attr_u64, Xml};
use super::CheckError;

fn corrupt() -> CheckError {
    CheckError::unreadable(
        "Le fichier OpenDocument est endommagé ou n'est pas un vrai fichier .ods.",
        "The OpenDocument file is damaged or is not a real .ods file.",
    )
}

/// Most spaces one `<text:s text:c="…"/>` may stand for.
const MAX_SPACES: u64 = 1024;

/// A cell being read: its value attributes and its text.
#[derive(Default)]
struct Cell {
    repeat: u64,
    value_type: String,
    value: Option<String>,
    text: String,
    paragraphs: usize,
}

impl Cell {
    fn start(&mut self, e: &BytesStart<'_>) {
        self.repeat = attr_u64(e, "number-columns-repeated").unwrap_or(1).max(1);
        self.value_type = attr(e, "value-type")
            .map(|v| v.into_owned())
            .unwrap_or_default();
        self.value = match self.value_type.as_str() {
            "float" | "percentage" | "currency" => attr_text(e, "value"),
            "date" => attr_text(e, "date-value"),
            "time" => attr_text(e, "time-value"),
            "boolean" => attr_text(e, "boolean-value"),
            _ => None,
        };
        self.text.clear();
        self.paragraphs = 0;
    }

    /// The cell as text, written into `out`.
    fn write(&self, out: &mut String) {
        match (self.value_type.as_str(), self.value.as_deref()) {
            ("float" | "currency", Some(v)) => match v.trim().parse::<f64>() {
                Ok(f) => {
                    let _ = write_float(f, out);
                }
                Err(_) => out.push_str(&self.text),
            },
            ("percentage", Some(v)) => match v.trim().parse::<f64>() {
                Ok(f) => write_percent(f, out),
                Err(_) => out.push_str(&self.text),
            },
            ("boolean", Some(v)) => out.push_str(if v.trim() == "true" { "VRAI" } else { "FAUX" }),
            ("date" | "time", Some(v)) => out.push_str(v),
            _ => out.push_str(&self.text),
        }
    }

    fn is_empty(&self) -> bool {
        self.value.as_deref().is_none_or(str::is_empty) && self.text.is_empty()
    }
}

/// Reads every sheet of an opened (and bounded) ods archive and feeds it to `visitor`.
pub(crate) fn visit_ods<R: Read + Seek, V: TableVisitor + ?Sized>(
    archive: &mut ZipArchive<R>,
    limits: &ArchiveLimits,
    budget: &mut Budget,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let entry = archive.by_name("content.xml").map_err(|_| corrupt())?;
    let mut xml = Xml::new(entry, corrupt);
    loop {
        let name = match xml.next()? {
            Event::Eof => return Ok(()),
            Event::Start(e) if e.local_name().as_ref() == "table" => {
                attr_text(&e, "name").unwrap_or_default()
            }
            _ => continue,
        };
        budget.table()?;
        let label = label(prefix, &name);
        read_table(&mut xml, limits, budget, &label, visitor)?;
    }
}

/// Reads one `<table:table>` up to its end.
fn read_table<R: Read, V: TableVisitor + ?Sized>(
    xml: &mut Xml<R>,
    limits: &ArchiveLimits,
    budget: &mut Budget,
    label: &str,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let mut feeder = TableFeeder::new(Some(label));
    let mut row = RowBuf::new(limits.max_row_bytes);
    let mut cell = Cell::default();
    let mut in_cell = false;
    let mut in_paragraph = 0usize;
    let mut row_num = 0u64;
    let mut row_repeat = 1u64;
    let mut col = 0usize;
    loop {
        let event = xml.next()?;
        let mut skip = false;
        match &event {
            Event::Eof => return Err(corrupt()),
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    "table-row" => {
                        row_repeat = attr_u64(e, "number-rows-repeated").unwrap_or(1).max(1);
                        row.clear();
                        col = 0;
                        if empty {
                            row_num = row_num.saturating_add(row_repeat);
                        }
                    }
                    "table-cell" | "covered-table-cell" => {
                        cell.start(e);
                        if empty {
                            end_cell(&cell, &mut row, row_num + 1, &mut col)?;
                        } else {
                            in_cell = true;
                        }
                    }
                    // Comments, drawings and sub-tables are not cell values.
                    "annotation" | "frame" | "custom-shape" | "table" if !empty => skip = true,
                    "p" | "h" if in_cell => {
                        if cell.paragraphs > 0 {
                            cell.text.push('\n');
                        }
                        cell.paragraphs += 1;
                        if !empty {
                            in_paragraph += 1;
                        }
                    }
                    "s" if in_paragraph > 0 => {
                        let n = attr_u64(e, "c").unwrap_or(1).min(MAX_SPACES);
                        cell.text.extend((0..n).map(|_| ' '));
                    }
                    "tab" if in_paragraph > 0 => cell.text.push('\t'),
                    "line-break" if in_paragraph > 0 => cell.text.push('\n'),
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "p" | "h" => in_paragraph = in_paragraph.saturating_sub(1),
                "table-cell" | "covered-table-cell" => {
                    in_cell = false;
                    in_paragraph = 0;
                    end_cell(&cell, &mut row, row_num + 1, &mut col)?;
                }
                "table-row" => {
                    if row.non_empty() > 0 {
                        budget.cells(row.width().saturating_mul(row_repeat))?;
                        for k in 1..=row_repeat {
                            feeder.push(visitor, row_num + k, row.cells())?;
                        }
                    }
                    row_num = row_num.saturating_add(row_repeat);
                    row.clear();
                }
                "table" => return feeder.finish(visitor),
                _ => {}
            },
            _ if in_paragraph > 0 => {
                append_text(&event, &mut cell.text);
            }
            _ => {}
        }
        if cell.text.len() > limits.max_row_bytes {
            return Err(super::limits::row_too_long(
                row_num + 1,
                limits.max_row_bytes,
            ));
        }
        if skip {
            xml.skip_element()?;
        }
    }
}

/// Puts a finished cell (and its repetitions when it is not empty) in the row.
fn end_cell(
    cell: &Cell,
    row: &mut RowBuf,
    row_num: u64,
    col: &mut usize,
) -> Result<(), CheckError> {
    let repeat = usize::try_from(cell.repeat).unwrap_or(usize::MAX);
    if !cell.is_empty() {
        // Past MAX_COLUMNS `set` refuses the row: at most that many copies are made.
        for k in 0..repeat {
            row.set(row_num, col.saturating_add(k), |t| cell.write(t))?;
        }
    }
    *col = col.saturating_add(repeat);
    Ok(())
}

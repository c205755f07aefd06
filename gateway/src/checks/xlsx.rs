//! A streaming xlsx reader over quick-xml: sheets are read cell by cell, one row held at a time.
//!
//! Only the shared strings are held for the whole workbook, in one text arena bounded by
//! [`ArchiveLimits::max_shared_strings_bytes`]; nothing is reserved from what the file declares (the
//! `uniqueCount` of `<sst>` made calamine reserve terabytes). Cells become text as in the other
//! readers; a number whose cell format is a percentage is read as the percentage the sheet shows.

use std::collections::HashMap;
use std::io::{Read, Seek};

use quick_xml::events::Event;
use zip::ZipArchive;

use super::cells::{label, write_float, write_percent};
use super::limits::{ArchiveLimits, Budget};
use super::table::{RowBuf, TableFeeder, TableVisitor};
use super::xml::{append_text, attr, attr_text, attr_u64, Xml};
use super::CheckError;

fn corrupt() -> CheckError {
    CheckError::unreadable(
        "Le fichier Excel est endommagé ou n'est pas un vrai fichier .xlsx.",
        "The Excel file is damaged or is not a real .xlsx file.",
    )
}

/// Most cell formats read from styles.xml (Excel allows about 64,000).
const MAX_XFS: usize = 65_536;

/// The shared strings of a workbook, in one arena.
struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }
}

fn open<'a, R: Read + Seek>(
    archive: &'a mut ZipArchive<R>,
    path: &str,
) -> Result<Option<zip::read::ZipFile<'a, R>>, CheckError> {
    match archive.by_name(path) {
        Ok(f) => Ok(Some(f)),
        Err(zip::result::ZipError::FileNotFound) => Ok(None),
        Err(_) => Err(corrupt()),
    }
}

/// Resolves a relationship target against the `xl/` folder.
fn resolve(target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_owned(),
        None => format!("xl/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Sheet names with their part paths, and the shared strings part.
type Workbook = (Vec<(String, String)>, Option<String>);

/// Sheet names with their part paths, and the shared strings part, from the workbook and its rels.
fn workbook<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    limits: &ArchiveLimits,
) -> Result<Workbook, CheckError> {
    let mut sheets: Vec<(String, String)> = Vec::new();
    {
        let entry = open(archive, "xl/workbook.xml")?.ok_or_else(corrupt)?;
        let mut xml = Xml::new(entry, corrupt);
        loop {
            match xml.next()? {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                    if sheets.len() >= limits.max_sheets {
                        return Err(super::limits::too_many_sheets(limits.max_sheets));
                    }
                    let name = attr_text(&e, "name").unwrap_or_default();
                    let id = attr_text(&e, "id").unwrap_or_default();
                    sheets.push((name, id));
                }
                _ => {}
            }
        }
    }
    let mut targets: HashMap<String, String> = HashMap::new();
    let mut shared = None;
    if let Some(entry) = open(archive, "xl/_rels/workbook.xml.rels")? {
        let mut xml = Xml::new(entry, corrupt);
        loop {
            match xml.next()? {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                    let id = attr_text(&e, "Id").unwrap_or_default();
                    let target = resolve(&attr_text(&e, "Target").unwrap_or_default());
                    let kind = attr_text(&e, "Type").unwrap_or_default();
                    if kind.ends_with("/sharedStrings") {
                        shared = Some(target.clone());
                    }
                    if targets.len() < limits.max_entries {
                        targets.insert(id, target);
                    }
                }
                _ => {}
            }
        }
    }
    let sheets = sheets
        .into_iter()
        .map(|(name, id)| {
            let path = targets.get(&id).cloned().ok_or_else(corrupt)?;
            Ok((name, path))
        })
        .collect::<Result<Vec<_>, CheckError>>()?;
    Ok((sheets, shared))
}

fn shared_strings<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    path: &str,
    limits: &ArchiveLimits,
) -> Result<SharedStrings, CheckError> {
    let mut out = SharedStrings {
        text: String::new(),
        ends: Vec::new(),
    };
    let Some(entry) = open(archive, path)? else {
        return Ok(out);
    };
    let too_large = || {
        CheckError::too_large(
            format!(
                "Fichier refusé : ses textes partagés dépassent {} Mio.",
                limits.max_shared_strings_bytes >> 20
            ),
            format!(
                "File refused: its shared strings exceed {} MiB.",
                limits.max_shared_strings_bytes >> 20
            ),
        )
    };
    // The text cannot be longer than the XML that holds it: reserve that much, never what it declares.
    let xml_bytes = entry.size();
    let reserve = xml_bytes.min(limits.max_shared_strings_bytes);
    out.text
        .try_reserve_exact(usize::try_from(reserve).unwrap_or(0))
        .map_err(|_| too_large())?;
    let mut xml = Xml::new(entry, corrupt);
    let mut in_t = false;
    loop {
        let event = xml.next()?;
        let mut skip = false;
        match &event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                // Each string takes at least `<si/>`: a table declaring more than its XML can hold
                // lies about itself (a trillion, to make a reader reserve terabytes): refused.
                // (`count` is the number of references from cells, which may be far larger.)
                let declared = attr_u64(e, "uniqueCount").unwrap_or(0);
                if declared > xml_bytes / 5 {
                    return Err(CheckError::unreadable(
                        format!("Le classeur annonce {declared} textes partagés, bien plus que son contenu n'en contient : il est endommagé ou forgé."),
                        format!("The workbook declares {declared} shared strings, far more than it holds: it is damaged or forged."),
                    ));
                }
            }
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_t = true,
                "rPh" => skip = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "si" => {
                    let bytes = out.text.len() as u64 + 4 * (out.ends.len() as u64 + 1);
                    if bytes > limits.max_shared_strings_bytes {
                        return Err(too_large());
                    }
                    out.ends.push(out.text.len() as u32);
                }
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                out.ends.push(out.text.len() as u32);
            }
            _ if in_t => {
                append_text(&event, &mut out.text);
                if out.text.len() as u64 > limits.max_shared_strings_bytes {
                    return Err(too_large());
                }
            }
            _ => {}
        }
        if skip {
            xml.skip_element()?;
        }
    }
    Ok(out)
}

/// For each cell format (`s` attribute of a cell), whether it shows a percentage.
fn percent_styles<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Result<Vec<bool>, CheckError> {
    let Some(entry) = open(archive, "xl/styles.xml")? else {
        return Ok(Vec::new());
    };
    let mut xml = Xml::new(entry, corrupt);
    let mut custom: HashMap<u64, bool> = HashMap::new();
    let mut xfs = Vec::new();
    let mut in_cell_xfs = false;
    loop {
        match xml.next()? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" if custom.len() < MAX_XFS => {
                    if let Some(id) = attr_u64(&e, "numFmtId") {
                        let code = attr_text(&e, "formatCode").unwrap_or_default();
                        custom.insert(id, code.contains('%'));
                    }
                }
                "cellXfs" => in_cell_xfs = true,
                "xf" if in_cell_xfs && xfs.len() < MAX_XFS => {
                    let id = attr_u64(&e, "numFmtId").unwrap_or(0);
                    xfs.push(id == 9 || id == 10 || custom.get(&id).copied().unwrap_or(false));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            _ => {}
        }
    }
    Ok(xfs)
}

/// The 0-based column of a cell reference (`AB12` → 27).
fn column_of(reference: &[u8]) -> Option<usize> {
    let mut col = 0usize;
    let mut any = false;
    for &b in reference {
        if b.is_ascii_alphabetic() {
            col = col
                .checked_mul(26)?
                .checked_add(usize::from(b.to_ascii_uppercase() - b'A') + 1)?;
            any = true;
        } else {
            break;
        }
    }
    any.then(|| col - 1)
}

/// Reads every sheet of an opened (and bounded) xlsx archive and feeds it to `visitor`.
pub(crate) fn visit_xlsx<R: Read + Seek, V: TableVisitor + ?Sized>(
    archive: &mut ZipArchive<R>,
    limits: &ArchiveLimits,
    budget: &mut Budget,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let (sheets, shared_path) = workbook(archive, limits)?;
    let shared = match shared_path {
        Some(p) => shared_strings(archive, &p, limits)?,
        None => shared_strings(archive, "xl/sharedStrings.xml", limits)?,
    };
    let percent = percent_styles(archive)?;
    let mut row = RowBuf::new(limits.max_row_bytes);
    let mut value = String::new();
    for (name, path) in sheets {
        budget.table()?;
        let label = label(prefix, &name);
        let mut feeder = TableFeeder::new(Some(&label));
        let entry = open(archive, &path)?.ok_or_else(corrupt)?;
        let mut xml = Xml::new(entry, corrupt);
        let mut row_num = 0u64;
        let mut col = 0usize;
        let mut next_col = 0usize;
        // The cell being read: its type, whether it shows a percentage, whether it has a value.
        let mut cell: Option<(String, bool)> = None;
        let mut in_value = false;
        row.clear();
        loop {
            let event = xml.next()?;
            let mut skip = false;
            match &event {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "row" => {
                        row_num = attr_u64(e, "r").unwrap_or(row_num.saturating_add(1));
                        next_col = 0;
                        row.clear();
                    }
                    "c" => {
                        col = attr(e, "r")
                            .and_then(|r| column_of(r.as_bytes()))
                            .unwrap_or(next_col);
                        next_col = col.saturating_add(1);
                        let kind = attr(e, "t").map(|t| t.into_owned()).unwrap_or_default();
                        let pct = attr_u64(e, "s")
                            .and_then(|s| percent.get(usize::try_from(s).ok()?).copied())
                            .unwrap_or(false);
                        value.clear();
                        cell = matches!(event, Event::Start(_)).then_some((kind, pct));
                    }
                    "v" | "t" if matches!(event, Event::Start(_)) && cell.is_some() => {
                        in_value = true
                    }
                    "f" | "rPh" if matches!(event, Event::Start(_)) => skip = true,
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "v" | "t" => in_value = false,
                    "c" => {
                        if let Some((kind, pct)) = cell.take() {
                            if !value.is_empty() {
                                set_cell(&mut row, row_num, col, &kind, pct, &value, &shared)?;
                            }
                        }
                    }
                    "row" => {
                        flush(&mut row, &mut feeder, visitor, budget, row_num)?;
                    }
                    _ => {}
                },
                _ if in_value => {
                    append_text(&event, &mut value);
                    if value.len() > limits.max_row_bytes {
                        return Err(super::limits::row_too_long(row_num, limits.max_row_bytes));
                    }
                }
                _ => {}
            }
            if skip {
                xml.skip_element()?;
            }
        }
        flush(&mut row, &mut feeder, visitor, budget, row_num)?;
        feeder.finish(visitor)?;
    }
    Ok(())
}

fn flush<V: TableVisitor + ?Sized>(
    row: &mut RowBuf,
    feeder: &mut TableFeeder<'_>,
    visitor: &mut V,
    budget: &mut Budget,
    row_num: u64,
) -> Result<(), CheckError> {
    if row.non_empty() > 0 {
        budget.cells(row.width())?;
        feeder.push(visitor, row_num, row.cells())?;
    }
    row.clear();
    Ok(())
}

fn set_cell(
    row: &mut RowBuf,
    row_num: u64,
    col: usize,
    kind: &str,
    percent: bool,
    value: &str,
    shared: &SharedStrings,
) -> Result<(), CheckError> {
    match kind {
        "s" => {
            let i: usize = value.trim().parse().map_err(|_| corrupt())?;
            let s = shared.get(i).ok_or_else(corrupt)?;
            row.set(row_num, col, |t| t.push_str(s))
        }
        "b" => row.set(row_num, col, |t| {
            t.push_str(if value.trim() == "1" { "VRAI" } else { "FAUX" })
        }),
        "" | "n" => match value.trim().parse::<f64>() {
            Ok(f) if percent => row.set(row_num, col, |t| write_percent(f, t)),
            Ok(f) => row.set(row_num, col, |t| {
                let _ = write_float(f, t);
            }),
            Err(_) => row.set(row_num, col, |t| t.push_str(value)),
        },
        _ => row.set(row_num, col, |t| t.push_str(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_paths() {
        assert_eq!(column_of(b"A1"), Some(0));
        assert_eq!(column_of(b"AB12"), Some(27));
        assert_eq!(column_of(b"12"), None);
        assert_eq!(resolve("worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
        assert_eq!(resolve("../xl/a.xml"), "xl/a.xml");
    }
}

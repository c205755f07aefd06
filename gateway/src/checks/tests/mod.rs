//! Tests of the whole engine: the shared fixtures, and built files for every rule.

mod bounded;
mod disclosure;
mod errors;
mod identifiers;

use std::io::{Cursor, Write};
use std::path::PathBuf;

use super::table::{Cells, TableVisitor};
use super::*;

/// The shared fixtures: `CARGO_MANIFEST_DIR/../../shared/fixtures` in the gateway crate, else
/// `/work/shared/fixtures`.
fn fixtures() -> PathBuf {
    let near = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    if near.join("README.md").exists() {
        near
    } else {
        PathBuf::from("/work/shared/fixtures")
    }
}

fn disclosure_csv(text: &str) -> Vec<Violation> {
    check_disclosure(
        Cursor::new(text.as_bytes().to_vec()),
        Format::Csv,
        &DisclosureRules::default(),
    )
    .unwrap()
}

fn identifiers_csv(bytes: &[u8]) -> Vec<Finding> {
    scan_identifiers(
        Cursor::new(bytes.to_vec()),
        Format::Csv,
        &IdentifierRules::default(),
    )
    .unwrap()
}

/// (row, column, rule, value) of each violation.
fn triples(v: &[Violation]) -> Vec<(u64, String, &'static str, String)> {
    v.iter()
        .map(|v| (v.row, v.column.clone(), v.rule.as_str(), v.value.clone()))
        .collect()
}

fn has(v: &[Violation], row: u64, column: &str, rule: Rule, value: &str) -> bool {
    v.iter()
        .any(|x| x.row == row && x.column == column && x.rule == rule && x.value == value)
}

/// A table's name and its rows (number, cells).
type Rows = (Option<String>, Vec<(u64, Vec<String>)>);

/// Collects the text of every row of every table.
#[derive(Default)]
struct Collect {
    tables: Vec<Rows>,
}

impl Collect {
    fn push(&mut self, row: u64, cells: Cells<'_>) {
        if let Some(t) = self.tables.last_mut() {
            t.1.push((
                row,
                (0..cells.len()).map(|i| cells.get(i).to_owned()).collect(),
            ));
        }
    }
}

impl TableVisitor for Collect {
    fn begin(
        &mut self,
        sheet: Option<&str>,
        header_row: u64,
        header: Cells<'_>,
    ) -> Result<(), CheckError> {
        self.tables.push((sheet.map(str::to_owned), Vec::new()));
        self.push(header_row, header);
        Ok(())
    }
    fn row(&mut self, row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
        self.push(row, cells);
        Ok(())
    }
    fn end(&mut self) -> Result<(), CheckError> {
        Ok(())
    }
    fn unreadable(&mut self, part: Option<&str>, e: &CheckError) -> Result<(), CheckError> {
        self.tables.push((
            Some(format!(
                "unreadable: {}: {}",
                part.unwrap_or(""),
                e.message_en()
            )),
            Vec::new(),
        ));
        Ok(())
    }
}

fn collect(path: &Path) -> Collect {
    let mut c = Collect::default();
    let format = Format::from_path(path).unwrap();
    visit(
        std::fs::File::open(path).unwrap(),
        format,
        &ArchiveLimits::default(),
        &mut c,
    )
    .unwrap();
    c
}

fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                // Numbers become numeric cells, as Excel stores them.
                match cell.parse::<f64>() {
                    Ok(n) => ws.write_number(r as u32, c as u16, n).unwrap(),
                    Err(_) if cell.is_empty() => ws,
                    Err(_) => ws.write_string(r as u32, c as u16, *cell).unwrap(),
                };
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

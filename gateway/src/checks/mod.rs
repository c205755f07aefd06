//! Content checks on exchanged files (issue 7): statistical disclosure control on results before they
//! are released, and a scan for direct identifiers on deposits before they are accepted.
//!
//! Both checks read CSV (UTF-8 with or without BOM, UTF-16 with BOM, otherwise Windows-1252; `;`, `,`
//! or tab separated), xlsx, xls and ods (every sheet is a table whose first non-empty row is the
//! header), and zip deposits holding such files. CSV files, xlsx and ods sheets are streamed with flat
//! memory (one row at a time) after their ZIP container has been bounded against zip bombs; xls
//! workbooks are bounded before calamine loads them. Every bound ([`ArchiveLimits`]) is checked before
//! the memory it protects is allocated.
//!
//! **What cannot be read is reported, never passed as clean**: a PDF, and every entry of a zip deposit
//! that is not a csv, xlsx, xls or ods file or that cannot be read, give a finding of kind
//! [`FindingKind::Unreadable`] (identifier scan) or a violation of rule [`Rule::Unreadable`]
//! (disclosure check) naming the entry and the reason. A file that cannot be read at all (corrupt,
//! beyond a bound) gives a [`CheckError`].
//!
//! Everything here is blocking and CPU-bound: call it from `spawn_blocking`, on a decrypted temporary
//! copy or any `Read + Seek` source. A corrupt or hostile file gives a [`CheckError`], never a panic.
//!
//! ```no_run
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use gateway::checks::{check_disclosure_path, scan_identifiers_path, DisclosureRules, IdentifierRules};
//! let violations = check_disclosure_path("results.csv".as_ref(), &DisclosureRules::default())?;
//! let findings = scan_identifiers_path("deposit.xlsx".as_ref(), &IdentifierRules::default())?;
//! # let _ = (violations, findings); Ok(()) }
//! ```

mod archive;
mod cells;
mod csv_input;
mod csv_scan;
mod detect;
mod disclosure;
mod error;
mod identifiers;
mod limits;
mod ods;
mod sniff;
mod spreadsheet;
mod table;
#[cfg(test)]
mod tests;
mod text;
mod xls;
mod xlsx;
mod xml;
mod zip_bounds;

use std::io::{Read, Seek};
use std::path::Path;

pub use disclosure::{DisclosureRules, Rule, Violation};
pub use error::CheckError;
pub use identifiers::{Finding, FindingKind, IdentifierRules};
pub use limits::ArchiveLimits;

use table::TableVisitor;

/// The formats the checks know, from a file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-, semicolon- or tab-separated text.
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
    /// Excel 97–2003 workbook.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// A zip archive of CSV and spreadsheet files.
    Zip,
    /// A PDF document (cannot be checked: reported as unreadable).
    Pdf,
}

impl Format {
    /// The format of an extension, without its dot, any case (`"csv"`, `"XLSX"`); `None` if unknown.
    /// `.tsv` and `.txt` are read as CSV.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Some(
            match ext.trim_start_matches('.').to_ascii_lowercase().as_str() {
                "csv" | "tsv" | "txt" => Self::Csv,
                "xlsx" | "xlsm" => Self::Xlsx,
                "xls" => Self::Xls,
                "ods" => Self::Ods,
                "zip" => Self::Zip,
                "pdf" => Self::Pdf,
                _ => return None,
            },
        )
    }

    /// The format of a file name or path, from its extension.
    pub fn from_path(path: &Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::from_extension)
    }
}

fn unknown_format() -> CheckError {
    CheckError::unreadable(
        "Ce type de fichier n'est pas pris en charge (formats acceptés : csv, xlsx, xls, ods, zip, pdf).",
        "This file type is not supported (accepted: csv, xlsx, xls, ods, zip, pdf).",
    )
}

/// Walks every table of `input` in `format`.
fn visit<R: Read + Seek, V: TableVisitor>(
    input: R,
    format: Format,
    limits: &ArchiveLimits,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let mut budget = limits::Budget::new(limits);
    match format {
        // One pass, front to back: a deposit can be scanned while it streams in.
        Format::Csv => csv_input::visit_csv_sniffed(input, limits.max_row_bytes, None, visitor),
        Format::Xlsx | Format::Xls | Format::Ods => {
            spreadsheet::visit_spreadsheet(input, format, limits, &mut budget, None, visitor)
        }
        Format::Zip => archive::visit_zip(input, limits, &mut budget, visitor),
        Format::Pdf => visitor.unreadable(
            None,
            &CheckError::unreadable(
                "les fichiers PDF ne peuvent pas être vérifiés",
                "PDF files cannot be checked",
            ),
        ),
    }
}

/// Checks a results file against the statistical disclosure rules: every table (each CSV, each sheet,
/// each file of a zip) is checked. Returns the violations in file order (empty: the file may be
/// released), at most `rules.max_violations` of them.
pub fn check_disclosure<R: Read + Seek>(
    input: R,
    format: Format,
    rules: &DisclosureRules,
) -> Result<Vec<Violation>, CheckError> {
    let mut checker = disclosure::DisclosureChecker::new(rules);
    visit(input, format, &rules.limits, &mut checker)?;
    Ok(checker.violations)
}

/// [`check_disclosure`] on a file, its format taken from its extension.
pub fn check_disclosure_path(
    path: &Path,
    rules: &DisclosureRules,
) -> Result<Vec<Violation>, CheckError> {
    let format = Format::from_path(path).ok_or_else(unknown_format)?;
    let file = std::fs::File::open(path)?;
    check_disclosure(file, format, rules)
}

/// Scans a deposit for direct identifiers, in every table and every column. Returns one finding per
/// (sheet, column, kind), in file order (empty: nothing found).
pub fn scan_identifiers<R: Read + Seek>(
    input: R,
    format: Format,
    rules: &IdentifierRules,
) -> Result<Vec<Finding>, CheckError> {
    let mut scanner = identifiers::IdentifierScanner::new(rules);
    if format == Format::Csv {
        // The common case, at wire speed: see `csv_scan`.
        csv_scan::scan_csv(input, rules.limits.max_row_bytes, &mut scanner)?;
    } else {
        visit(input, format, &rules.limits, &mut scanner)?;
    }
    Ok(scanner.findings)
}

/// [`scan_identifiers`] on a file, its format taken from its extension.
pub fn scan_identifiers_path(
    path: &Path,
    rules: &IdentifierRules,
) -> Result<Vec<Finding>, CheckError> {
    let format = Format::from_path(path).ok_or_else(unknown_format)?;
    let file = std::fs::File::open(path)?;
    scan_identifiers(file, format, rules)
}

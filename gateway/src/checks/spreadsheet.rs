//! Spreadsheets (xlsx, xls, ods): every sheet is a table.
//!
//! xlsx and ods are ZIP archives: they are bounded (see [`super::ArchiveLimits`]) before anything reads
//! them, then read by the streaming readers of this crate (`xlsx`, `ods`: one row held at a time,
//! nothing reserved from what the file declares). xls workbooks go through calamine after a walk over
//! their records has bounded what it will allocate (`xls`).
//!
//! Cells become text ([`super::cells`]): strings as written, numbers as their number (`7`, `0.5`),
//! and a number with a percent format (xlsx) or of type percentage (ods) as the percentage the sheet
//! shows (`0.5` → `50 %`), so that shares and response rates stored as fractions are judged in
//! percent. (calamine does not expose the formats of xls cells: there a share stored as a fraction
//! is read as the fraction.)

use std::io::{Read, Seek};

use super::limits::{ArchiveLimits, Budget};
use super::table::TableVisitor;
use super::zip_bounds::{open_bounded, ArchiveKind};
use super::{CheckError, Format};

/// Reads every sheet of a spreadsheet and feeds it to `visitor`. With a `prefix` (the file's name in a
/// zip deposit) sheets are named `prefix › Sheet`.
pub(crate) fn visit_spreadsheet<R: Read + Seek, V: TableVisitor + ?Sized>(
    input: R,
    format: Format,
    limits: &ArchiveLimits,
    budget: &mut Budget,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    match format {
        Format::Xlsx => {
            let mut archive = open_bounded(input, limits, ArchiveKind::Xlsx)?;
            super::xlsx::visit_xlsx(&mut archive, limits, budget, prefix, visitor)
        }
        Format::Ods => {
            let mut archive = open_bounded(input, limits, ArchiveKind::Ods)?;
            super::ods::visit_ods(&mut archive, limits, budget, prefix, visitor)
        }
        _ => super::xls::visit_xls(input, limits, budget, prefix, visitor),
    }
}

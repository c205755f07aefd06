//! Zip deposits: the walk over the files of a zip deposit, each read as the table (CSV) or the
//! sheets (spreadsheet) it holds, after the archive has been bounded ([`super::zip_bounds`]).

use std::io::{Cursor, Read, Seek};

use zip::ZipArchive;

use super::csv_input::visit_csv_sniffed;
use super::limits::{ArchiveLimits, Budget};
use super::spreadsheet::visit_spreadsheet;
use super::table::TableVisitor;
use super::zip_bounds::{open_bounded, ArchiveKind};
use super::{CheckError, Format};

/// Most unreadable entries of one zip deposit reported one by one.
const MAX_REPORTED: usize = 100;

/// Why an entry of a zip deposit is not read.
fn skipped(fr: &str, en: &str) -> CheckError {
    CheckError::unreadable(fr, en)
}

/// Walks a zip deposit: every inner `.csv`, `.xlsx`, `.xls` and `.ods` file is a table (CSV) or a set of
/// tables (one per sheet, named `inner.xlsx › Sheet1`). Every other entry (PDF, nested zip, anything
/// else), and every entry that cannot be read, is reported to the visitor as unreadable, naming the
/// entry and the reason; only the metadata macOS adds (`__MACOSX/…`, `._name`) and folders are
/// skipped. Inner spreadsheets are read into memory, up to [`ArchiveLimits::max_nested_bytes`].
pub(crate) fn visit_zip<R: Read + Seek, V: TableVisitor + ?Sized>(
    input: R,
    limits: &ArchiveLimits,
    budget: &mut Budget,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let mut archive = open_bounded(input, limits, ArchiveKind::Zip)?;
    let mut reported = 0usize;
    for i in 0..archive.len() {
        let (name, format, size) = {
            let entry = archive
                .by_index_raw(i)
                .map_err(|_| ArchiveKind::Zip.corrupt())?;
            if entry.is_dir() {
                continue;
            }
            let name = entry
                .name()
                .map_err(|_| ArchiveKind::Zip.corrupt())?
                .into_owned();
            if is_metadata(&name) {
                continue;
            }
            let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
            (
                name,
                ext.as_deref().and_then(Format::from_extension),
                entry.size(),
            )
        };
        let outcome = match format {
            Some(Format::Csv) => (|| {
                budget.table()?;
                visit_csv_sniffed(
                    open_entry(&mut archive, i)?,
                    limits.max_row_bytes,
                    Some(&name),
                    visitor,
                )
            })(),
            Some(f @ (Format::Xlsx | Format::Xls | Format::Ods)) => {
                if size > limits.max_nested_bytes {
                    Err(skipped(
                        &format!(
                            "fichier de plus de {} Mio dans une archive : déposez-le seul",
                            limits.max_nested_bytes >> 20
                        ),
                        &format!(
                            "file larger than {} MiB inside an archive: deposit it on its own",
                            limits.max_nested_bytes >> 20
                        ),
                    ))
                } else {
                    (|| {
                        let mut entry = open_entry(&mut archive, i)?;
                        let mut bytes = Vec::new();
                        bytes
                            .try_reserve_exact(usize::try_from(size).unwrap_or(usize::MAX))
                            .map_err(|_| ArchiveKind::Zip.corrupt())?;
                        (&mut entry)
                            .take(limits.max_nested_bytes)
                            .read_to_end(&mut bytes)?;
                        drop(entry);
                        visit_spreadsheet(
                            Cursor::new(bytes),
                            f,
                            limits,
                            budget,
                            Some(&name),
                            visitor,
                        )
                    })()
                }
            }
            Some(Format::Zip) => Err(skipped(
                "archive dans une archive : une seule profondeur est vérifiée",
                "archive inside an archive: only one level is checked",
            )),
            Some(Format::Pdf) => Err(skipped(
                "les fichiers PDF ne peuvent pas être vérifiés",
                "PDF files cannot be checked",
            )),
            None => Err(skipped(
                "type de fichier non pris en charge (csv, xlsx, xls, ods)",
                "file type not supported (csv, xlsx, xls, ods)",
            )),
        };
        if let Err(e) = outcome {
            // A few hundred are enough to hold the file and tell why; the rest add nothing.
            if reported < MAX_REPORTED {
                visitor.unreadable(Some(&name), &e)?;
            }
            reported += 1;
        }
    }
    Ok(())
}

fn open_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    i: usize,
) -> Result<zip::read::ZipFile<'_, R>, CheckError> {
    archive.by_index(i).map_err(|_| ArchiveKind::Zip.corrupt())
}

/// Whether an entry is metadata added by macOS's archiver rather than a file of the deposit.
fn is_metadata(name: &str) -> bool {
    name.starts_with("__MACOSX/")
        || name
            .rsplit('/')
            .next()
            .is_some_and(|base| base.starts_with("._"))
}

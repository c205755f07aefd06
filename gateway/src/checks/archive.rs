//! ZIP archives: the bounds checked before anything reads an xlsx, an ods or a zip deposit (zip bombs),
//! and the walk over the files of a zip deposit.
//!
//! Every entry, whatever its size, is held to the ratio bound (with 64 bytes of slack on its
//! compressed size, so that a few KiB of blanks compressed to nothing are not refused), and so is the
//! whole archive (its uncompressed total against its own size); every entry is then decompressed into
//! nothing to check it holds no more than it declares.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use zip::ZipArchive;

use super::csv_input::visit_csv_sniffed;
use super::limits::{ArchiveLimits, Budget};
use super::spreadsheet::visit_spreadsheet;
use super::table::TableVisitor;
use super::{CheckError, Format};

/// Most unreadable entries of one zip deposit reported one by one.
const MAX_REPORTED: usize = 100;

/// Compressed bytes added to every entry before its ratio is computed.
const RATIO_SLACK: u64 = 64;

/// What kind of archive is being opened, for the messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ArchiveKind {
    Xlsx,
    Ods,
    Zip,
}

impl ArchiveKind {
    fn corrupt(self) -> CheckError {
        match self {
            Self::Xlsx => CheckError::unreadable(
                "Le fichier Excel est endommagé ou n'est pas un vrai fichier .xlsx.",
                "The Excel file is damaged or is not a real .xlsx file.",
            ),
            Self::Ods => CheckError::unreadable(
                "Le fichier OpenDocument est endommagé ou n'est pas un vrai fichier .ods.",
                "The OpenDocument file is damaged or is not a real .ods file.",
            ),
            Self::Zip => CheckError::unreadable(
                "L'archive zip est endommagée, chiffrée ou n'est pas une vraie archive .zip.",
                "The zip archive is damaged, encrypted or is not a real .zip file.",
            ),
        }
    }
}

fn bomb(detail_fr: String, detail_en: String) -> CheckError {
    CheckError::too_large(
        format!("Fichier refusé : {detail_fr} (protection contre les « bombes zip »)."),
        format!("File refused: {detail_en} (zip bomb protection)."),
    )
}

/// Opens `input` as a ZIP archive and checks it against `limits`: entry count, declared sizes and
/// ratios, then every entry is actually decompressed (into nothing) to make sure it does not hold
/// more than it declares. Returns the opened archive.
pub(crate) fn open_bounded<R: Read + Seek>(
    mut input: R,
    limits: &ArchiveLimits,
    kind: ArchiveKind,
) -> Result<ZipArchive<R>, CheckError> {
    let start = input.stream_position()?;
    let archive_len = input.seek(SeekFrom::End(0))?.saturating_sub(start);
    input.seek(SeekFrom::Start(start))?;
    let mut archive = ZipArchive::new(input).map_err(|_| kind.corrupt())?;
    if archive.len() > limits.max_entries {
        return Err(bomb(
            format!(
                "l'archive contient {} fichiers, plus que les {} admis",
                archive.len(),
                limits.max_entries
            ),
            format!(
                "the archive holds {} entries, more than the {} allowed",
                archive.len(),
                limits.max_entries
            ),
        ));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| kind.corrupt())?;
        let size = entry.size();
        let compressed = entry.compressed_size().saturating_add(RATIO_SLACK);
        total = total.saturating_add(size);
        if size / compressed > limits.max_ratio {
            return Err(bomb(
                format!(
                    "un élément de l'archive est compressé {} fois, plus que les {} admises",
                    size / compressed,
                    limits.max_ratio
                ),
                format!(
                    "an entry is compressed {}:1, above the {}:1 allowed",
                    size / compressed,
                    limits.max_ratio
                ),
            ));
        }
    }
    let whole = total / archive_len.saturating_add(RATIO_SLACK);
    if whole > limits.max_ratio {
        return Err(bomb(
            format!(
                "l'archive est compressée {whole} fois, plus que les {} admises",
                limits.max_ratio
            ),
            format!(
                "the archive is compressed {whole}:1, above the {}:1 allowed",
                limits.max_ratio
            ),
        ));
    }
    if total > limits.max_uncompressed_bytes {
        return Err(bomb(
            format!(
                "l'archive ferait {} Mo une fois décompressée, plus que les {} Mo admis",
                total >> 20,
                limits.max_uncompressed_bytes >> 20
            ),
            format!(
                "the archive would take {} MB uncompressed, more than the {} MB allowed",
                total >> 20,
                limits.max_uncompressed_bytes >> 20
            ),
        ));
    }
    // Declared sizes can lie: decompress each entry, stopping one byte past what it declares.
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| kind.corrupt())?;
        let declared = entry.size();
        let got = io::copy(
            &mut (&mut entry).take(declared.saturating_add(1)),
            &mut io::sink(),
        )
        .map_err(|_| kind.corrupt())?;
        if got > declared {
            return Err(bomb(
                "un élément de l'archive contient plus de données qu'il n'en annonce".to_owned(),
                "an entry holds more data than it declares".to_owned(),
            ));
        }
    }
    Ok(archive)
}

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

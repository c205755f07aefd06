//! ZIP archives: the bounds checked before anything reads an xlsx, an ods or a zip deposit (zip bombs),
//! and the walk over the files of a zip deposit.

use std::io::{self, Cursor, Read, Seek};

use zip::ZipArchive;

use super::csv_input::{detect_encoding, visit_csv};
use super::spreadsheet::visit_spreadsheet;
use super::table::TableVisitor;
use super::{CheckError, Format};

/// Bounds on ZIP archives (xlsx, ods and zip deposits, and every archive inside a zip deposit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most entries an archive may hold (default 10,000).
    pub max_entries: usize,
    /// Most bytes all entries of one archive may take once uncompressed (default 1 GiB).
    pub max_uncompressed_bytes: u64,
    /// Highest compression ratio (uncompressed / compressed) allowed for an entry larger than
    /// [`ArchiveLimits::ratio_floor_bytes`] (default 200).
    pub max_ratio: u64,
    /// Entries smaller than this once uncompressed are not subject to the ratio bound, since a tiny
    /// entry cannot exhaust anything (default 1 MiB).
    pub ratio_floor_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_uncompressed_bytes: 1 << 30,
            max_ratio: 200,
            ratio_floor_bytes: 1 << 20,
        }
    }
}

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
    input: R,
    limits: &ArchiveLimits,
    kind: ArchiveKind,
) -> Result<ZipArchive<R>, CheckError> {
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
        let compressed = entry.compressed_size().max(1);
        total = total.saturating_add(size);
        if size >= limits.ratio_floor_bytes && size / compressed > limits.max_ratio {
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

/// Walks a zip deposit: every inner `.csv`, `.xlsx`, `.xls` and `.ods` file is a table (CSV) or a set of
/// tables (one per sheet, named `inner.xlsx › Sheet1`). Other entries (PDF, nested zip, anything else)
/// are skipped, and so is the metadata macOS adds (`__MACOSX/…`, `._name`). Inner spreadsheets are read into memory, within the archive bounds.
pub(crate) fn visit_zip<R: Read + Seek, V: TableVisitor + ?Sized>(
    input: R,
    limits: &ArchiveLimits,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let mut archive = open_bounded(input, limits, ArchiveKind::Zip)?;
    for i in 0..archive.len() {
        let (name, format) = {
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
            match ext.as_deref().and_then(Format::from_extension) {
                Some(f @ (Format::Csv | Format::Xlsx | Format::Xls | Format::Ods)) => (name, f),
                _ => continue,
            }
        };
        match format {
            Format::Csv => {
                let encoding = detect_encoding(open_entry(&mut archive, i)?)?;
                visit_csv(open_entry(&mut archive, i)?, encoding, Some(&name), visitor)?;
            }
            _ => {
                let mut entry = open_entry(&mut archive, i)?;
                let mut bytes =
                    Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(1 << 28));
                entry.read_to_end(&mut bytes)?;
                drop(entry);
                visit_spreadsheet(Cursor::new(bytes), format, limits, Some(&name), visitor)?;
            }
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

//! ZIP containers: the bounds checked before anything reads an xlsx, an ods or a zip deposit (zip
//! bombs). Both the spreadsheet readers and the zip deposit walk ([`super::archive`]) open their
//! archives here, so neither depends on the other for it.
//!
//! Every entry, whatever its size, is held to the ratio bound (with 64 bytes of slack on its
//! compressed size, so that a few KiB of blanks compressed to nothing are not refused), and so is the
//! whole archive (its uncompressed total against its own size); every entry is then decompressed into
//! nothing to check it holds no more than it declares.

use std::io::{self, Read, Seek, SeekFrom};

use zip::ZipArchive;

use super::limits::ArchiveLimits;
use super::CheckError;

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
    /// The archive cannot be read as what it claims to be.
    pub(crate) fn corrupt(self) -> CheckError {
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

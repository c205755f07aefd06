//! The bounds every reader applies before it allocates (defence in depth under the worker's OS limits),
//! and the work budget shared by all the tables of one file.

use super::CheckError;

/// Bounds on what a file may make the readers do: ZIP archives (xlsx, ods and zip deposits, and every
/// archive inside a zip deposit), spreadsheets and CSV records.
///
/// Every bound is checked before the memory it protects is allocated; a file beyond a bound gives a
/// [`CheckError::TooLarge`] (or, for one entry of a zip deposit, an `unreadable` finding or violation
/// naming that entry), never an abort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most entries an archive may hold (default 10,000).
    pub max_entries: usize,
    /// Most bytes all entries of one archive may take once uncompressed (default 4 GiB: the readers
    /// stream, so this bounds time, not memory; a 1,000,000-row ods holds about 2 GB of XML).
    pub max_uncompressed_bytes: u64,
    /// Highest compression ratio (uncompressed / compressed) allowed for every entry, whatever its size,
    /// and for the whole archive (uncompressed total / archive size) (default 200).
    pub max_ratio: u64,
    /// Largest spreadsheet inside a zip deposit, once uncompressed (default 64 MiB): such a file is held
    /// in memory to be read, so a larger one is reported as unreadable (deposit it on its own).
    pub max_nested_bytes: u64,
    /// Longest CSV record, and most text one spreadsheet row may hold, in bytes (default 1 MiB).
    pub max_row_bytes: usize,
    /// Most bytes the shared strings of an xlsx workbook may take in memory (default 64 MiB).
    pub max_shared_strings_bytes: u64,
    /// Most sheets a workbook may have, and most tables one file may hold (default 256).
    pub max_sheets: usize,
    /// Most spreadsheet cells the readers hand over for one file, all sheets together, each non-blank
    /// row counting for its width (blank cells up to its last non-blank one included, a repeated ods
    /// row as many times as it repeats; blank rows are skipped and free) (default 50,000,000: a million rows of 50 columns): the
    /// bound on CPU work. CSV files cost what they weigh and are not counted.
    pub max_cells: u64,
    /// Most cells all the sheets of an xls workbook may span (rows × columns of their used ranges, as
    /// declared by DIMENSIONS and as spanned by the cells; default 2,097,152): the xls reader holds
    /// every sheet whole in memory.
    pub max_xls_cells: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_uncompressed_bytes: 4 << 30,
            max_ratio: 200,
            max_nested_bytes: 64 << 20,
            max_row_bytes: 1 << 20,
            max_shared_strings_bytes: 64 << 20,
            max_sheets: 256,
            max_cells: 50_000_000,
            max_xls_cells: 1 << 21,
        }
    }
}

/// The work left for one file: tables and cells, shared by every reader that file goes through.
#[derive(Debug)]
pub(crate) struct Budget {
    cells_left: u64,
    tables_left: usize,
    max_cells: u64,
    max_sheets: usize,
}

impl Budget {
    /// A full budget under `limits`.
    pub(crate) fn new(limits: &ArchiveLimits) -> Self {
        Self {
            cells_left: limits.max_cells,
            tables_left: limits.max_sheets,
            max_cells: limits.max_cells,
            max_sheets: limits.max_sheets,
        }
    }

    /// Spends `n` cells, or refuses when the file holds more than the bound.
    pub(crate) fn cells(&mut self, n: u64) -> Result<(), CheckError> {
        if n > self.cells_left {
            self.cells_left = 0;
            return Err(CheckError::too_large(
                format!(
                    "Fichier refusé : il contient plus de {} cellules, au-delà de ce qui peut être vérifié.",
                    self.max_cells
                ),
                format!(
                    "File refused: it holds more than {} cells, beyond what can be checked.",
                    self.max_cells
                ),
            ));
        }
        self.cells_left -= n;
        Ok(())
    }

    /// Spends one table (a sheet, a CSV file), or refuses past the bound.
    pub(crate) fn table(&mut self) -> Result<(), CheckError> {
        if self.tables_left == 0 {
            return Err(too_many_sheets(self.max_sheets));
        }
        self.tables_left -= 1;
        Ok(())
    }
}

/// The error for a row (CSV record or spreadsheet row) longer than [`ArchiveLimits::max_row_bytes`].
pub(crate) fn row_too_long(row: u64, max: usize) -> CheckError {
    CheckError::too_large(
        format!(
            "Fichier refusé : la ligne {row} dépasse {} Kio, ce n'est pas un tableau lisible.",
            max >> 10
        ),
        format!(
            "File refused: row {row} is longer than {} KiB, this is not a readable table.",
            max >> 10
        ),
    )
}

/// The error for a file with more than [`ArchiveLimits::max_sheets`] sheets or tables.
pub(crate) fn too_many_sheets(max: usize) -> CheckError {
    CheckError::too_large(
        format!("Fichier refusé : il contient plus de {max} feuilles ou tableaux."),
        format!("File refused: it holds more than {max} sheets or tables."),
    )
}

//! The table model both checks walk: every CSV file and every sheet is a table whose first non-empty
//! row is the header; rows are handed over one at a time, so no table is ever held whole in memory.

use super::CheckError;

/// The cells of one row, borrowed from the reader (no copy per cell).
#[derive(Clone, Copy)]
pub(crate) enum Cells<'a> {
    /// A CSV record.
    Record(&'a csv::StringRecord),
    /// Cells already converted to text (spreadsheets).
    Texts(&'a [String]),
}

impl<'a> Cells<'a> {
    /// Number of cells in the row.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Record(r) => r.len(),
            Self::Texts(t) => t.len(),
        }
    }

    /// The cell at `i`, or `""` past the end of a short row.
    pub(crate) fn get(&self, i: usize) -> &'a str {
        match self {
            Self::Record(r) => r.get(i).unwrap_or(""),
            Self::Texts(t) => t.get(i).map(String::as_str).unwrap_or(""),
        }
    }

    /// Whether every cell is blank.
    pub(crate) fn is_blank(&self) -> bool {
        (0..self.len()).all(|i| self.get(i).trim().is_empty())
    }
}

/// Something that looks at tables row by row.
pub(crate) trait TableVisitor {
    /// A new table starts; `sheet` is `None` for a lone CSV file, `header_row` the 1-based row of the
    /// header as a spreadsheet shows it.
    fn begin(
        &mut self,
        sheet: Option<&str>,
        header_row: u64,
        header: Cells<'_>,
    ) -> Result<(), CheckError>;
    /// One row under the header (`row` 1-based, as a spreadsheet shows it).
    fn row(&mut self, row: u64, cells: Cells<'_>) -> Result<(), CheckError>;
    /// The current table ended.
    fn end(&mut self) -> Result<(), CheckError>;
    /// A part of the file could not be read: `part` names it (the entry of a zip, `None` for the whole
    /// file), `reason` says why. A table still open (read in part) is ended first. The part must be
    /// reported, never skipped: what nobody could read is not clean.
    fn unreadable(&mut self, part: Option<&str>, reason: &CheckError) -> Result<(), CheckError>;
}

/// The widest table accepted: Excel's limit.
pub(crate) const MAX_COLUMNS: usize = 16_384;

/// Feeds rows to a visitor, treating the first non-blank row as the header; a table with no non-blank
/// row never reaches the visitor (an empty sheet is fine).
pub(crate) struct TableFeeder<'s> {
    sheet: Option<&'s str>,
    started: bool,
}

impl<'s> TableFeeder<'s> {
    /// A feeder for one table.
    pub(crate) fn new(sheet: Option<&'s str>) -> Self {
        Self {
            sheet,
            started: false,
        }
    }

    /// Hands one row over. A row wider than any spreadsheet can be ([`MAX_COLUMNS`]) is refused: the
    /// checks keep state per column.
    pub(crate) fn push<V: TableVisitor + ?Sized>(
        &mut self,
        visitor: &mut V,
        row: u64,
        cells: Cells<'_>,
    ) -> Result<(), CheckError> {
        if cells.len() > MAX_COLUMNS {
            return Err(too_wide(row));
        }
        if self.started {
            visitor.row(row, cells)
        } else if cells.is_blank() {
            Ok(())
        } else {
            self.started = true;
            visitor.begin(self.sheet, row, cells)
        }
    }

    /// Ends the table.
    pub(crate) fn finish<V: TableVisitor + ?Sized>(
        self,
        visitor: &mut V,
    ) -> Result<(), CheckError> {
        if self.started {
            visitor.end()
        } else {
            Ok(())
        }
    }
}

/// The error for a row wider than [`MAX_COLUMNS`].
pub(crate) fn too_wide(row: u64) -> CheckError {
    CheckError::unreadable(
        format!(
            "La ligne {row} a plus de {MAX_COLUMNS} colonnes : ce n'est pas un tableau lisible."
        ),
        format!("Row {row} has more than {MAX_COLUMNS} columns: this is not a readable table."),
    )
}

/// The cells of the spreadsheet row being read, as text, bounded in width ([`MAX_COLUMNS`]) and in
/// bytes (`max_bytes`). Cells are set in any order; the ones never set are blank.
pub(crate) struct RowBuf {
    texts: Vec<String>,
    width: usize,
    bytes: usize,
    max_bytes: usize,
}

impl RowBuf {
    /// An empty row holding at most `max_bytes` bytes of text.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            texts: Vec::new(),
            width: 0,
            bytes: 0,
            max_bytes,
        }
    }

    /// Sets the cell at `col` (0-based) of row `row` with `write`, which appends to an empty string.
    pub(crate) fn set(
        &mut self,
        row: u64,
        col: usize,
        write: impl FnOnce(&mut String),
    ) -> Result<(), CheckError> {
        if col >= MAX_COLUMNS {
            return Err(too_wide(row));
        }
        if col >= self.texts.len() {
            self.texts.resize(col + 1, String::new());
        }
        if col >= self.width {
            for t in &mut self.texts[self.width..=col] {
                t.clear();
            }
            self.width = col + 1;
        }
        let t = &mut self.texts[col];
        self.bytes -= t.len().min(self.bytes);
        t.clear();
        write(t);
        self.bytes = self.bytes.saturating_add(t.len());
        if self.bytes > self.max_bytes {
            return Err(super::limits::row_too_long(row, self.max_bytes));
        }
        Ok(())
    }

    /// The cells set so far.
    pub(crate) fn cells(&self) -> Cells<'_> {
        Cells::Texts(&self.texts[..self.width])
    }

    /// How many cells the row spans (blank ones included): what a visitor walks.
    pub(crate) fn width(&self) -> u64 {
        self.width as u64
    }

    /// How many cells are not empty.
    pub(crate) fn non_empty(&self) -> u64 {
        self.texts[..self.width]
            .iter()
            .filter(|t| !t.is_empty())
            .count() as u64
    }

    /// Empties the row for the next one (large cells give their memory back).
    pub(crate) fn clear(&mut self) {
        for t in &mut self.texts[..self.width] {
            if t.capacity() > 4096 {
                *t = String::new();
            }
        }
        self.width = 0;
        self.bytes = 0;
    }
}

/// The spreadsheet name of a 0-based column: `A`, `B`, … `Z`, `AA`…
pub(crate) fn column_letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// The label of a column in a report: its header as written, or `colonne C` when the header is blank.
pub(crate) fn column_label(header: &str, i: usize) -> String {
    if header.trim().is_empty() {
        format!("colonne {}", column_letter(i))
    } else {
        header.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_label(" ", 2), "colonne C");
        assert_eq!(column_label("nom", 2), "nom");
    }
}

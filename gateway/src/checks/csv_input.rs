//! CSV reading: encoding detection (UTF-8 with or without BOM, UTF-16 with BOM, otherwise
//! Windows-1252), separator detection (`;`, `,` or tab), then a streaming parse with the `csv` crate.
//!
//! The input is read once, front to back ([`super::sniff::SniffUtf8`] finds the encoding on the way),
//! so that a deposit can be scanned while it streams in. Memory stays flat whatever the file size:
//! only 64 KiB buffers and the current record (bounded) are held.

use std::io::{self, BufRead, BufReader, Read};

use super::table::{Cells, TableFeeder, TableVisitor};
use super::CheckError;

const CHUNK: usize = 64 * 1024;

fn not_text() -> CheckError {
    CheckError::unreadable(
        "Le fichier n'est pas un fichier texte CSV (il contient des données binaires).",
        "The file is not a CSV text file (it contains binary data).",
    )
}

/// Picks the separator from the header line: the one of `;`, `,` and tab that splits it into the most
/// fields (quoted parts ignored); ties, and a line with none of them, give `;`.
pub(crate) fn detect_separator(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b';' if !quoted => counts[0] += 1,
            b',' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b';', counts[0]);
    for (sep, n) in [(b',', counts[1]), (b'\t', counts[2])] {
        if n > best.1 {
            best = (sep, n);
        }
    }
    best.0
}

/// Turns each blank line into a line holding one separator, so that the csv crate, which skips blank
/// lines, still gives one record per line as a spreadsheet shows it. Quote-aware: a blank line inside
/// a quoted cell is left alone.
///
/// It also bounds records: more than `max_record` bytes since the last line break outside quotes is an
/// I/O error carrying [`RecordTooLong`], raised before the csv crate buffers them.
struct KeepBlankLines<R> {
    inner: R,
    /// Bytes since the last line break outside quotes, and the bound on them.
    since_break: usize,
    max_record: usize,
    /// Line breaks outside quotes seen so far.
    lines: u64,
    separator: u8,
    in_quotes: bool,
    /// The next byte starts a field (after a separator, a line end, or the start), or follows a closing
    /// quote: only there does a quote open (or, doubled, continue) a quoted cell, as in the csv crate;
    /// elsewhere it is a literal character.
    quote_opens: bool,
    /// Nothing but `\r` since the last line break (outside quotes).
    line_empty: bool,
    /// The `\n` of a blank line, still to be given after its inserted separator.
    pending_newline: bool,
}

/// The marker of the I/O error raised for a CSV record longer than the bound, with its row.
#[derive(Debug)]
struct RecordTooLong(u64);

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CSV record {} too long", self.0)
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: BufRead> Read for KeepBlankLines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pending_newline {
            self.pending_newline = false;
            self.line_empty = true;
            out[0] = b'\n';
            return Ok(1);
        }
        if self.since_break > self.max_record {
            return Err(io::Error::other(RecordTooLong(self.lines + 1)));
        }
        let buf = self.inner.fill_buf()?;
        let max = buf.len().min(out.len());
        let mut from = 0usize;
        // Start of the current line within this chunk (for the record bound).
        let mut line_start = 0usize;
        // Only quotes and line feeds matter: jump from one to the next.
        for i in memchr::memchr3_iter(b'"', b'\n', self.separator, &buf[..max]) {
            if self.line_empty && buf[from..i].iter().any(|&b| b != b'\r') {
                self.line_empty = false;
            }
            if i > from && !self.in_quotes {
                // A lone `\r` ends a record for the csv crate: a field starts after it.
                self.quote_opens = buf[i - 1] == b'\r';
            }
            from = i + 1;
            if buf[i] == b'"' {
                if self.in_quotes {
                    self.in_quotes = false;
                    self.quote_opens = true;
                } else if self.quote_opens {
                    self.in_quotes = true;
                }
                self.line_empty = false;
            } else if buf[i] == self.separator {
                if !self.in_quotes {
                    self.quote_opens = true;
                }
                self.line_empty = false;
            } else if !self.in_quotes {
                self.quote_opens = true;
                self.lines += 1;
                self.since_break = 0;
                line_start = i + 1;
                if self.line_empty {
                    out[..i].copy_from_slice(&buf[..i]);
                    out[i] = self.separator;
                    self.inner.consume(i + 1);
                    self.pending_newline = true;
                    return Ok(i + 1);
                }
                self.line_empty = true;
            }
        }
        if self.line_empty && buf[from..max].iter().any(|&b| b != b'\r') {
            self.line_empty = false;
        }
        if max > from && !self.in_quotes {
            self.quote_opens = buf[max - 1] == b'\r';
        }
        out[..max].copy_from_slice(&buf[..max]);
        self.inner.consume(max);
        self.since_break = self.since_break.saturating_add(max - line_start);
        Ok(max)
    }
}

/// Parses a CSV input and feeds its rows to `visitor` as one table named `sheet`, in one pass, the
/// encoding found on the way ([`super::sniff::SniffUtf8`]).
///
/// Rows are numbered as a spreadsheet shows them: the header is row 1, each record one row, blank lines
/// count as (empty) rows, a quoted cell spanning several lines stays in one row.
pub(crate) fn visit_csv_sniffed<R: Read, V: TableVisitor + ?Sized>(
    input: R,
    max_record: usize,
    sheet: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    visit_csv_text(
        super::sniff::SniffUtf8::new(input),
        max_record,
        sheet,
        visitor,
    )
}

fn io_error(e: io::Error) -> CheckError {
    if e.get_ref()
        .is_some_and(|i| i.is::<super::sniff::BinaryContent>())
    {
        not_text()
    } else {
        CheckError::Io(e)
    }
}

fn visit_csv_text<T: Read, V: TableVisitor + ?Sized>(
    text: T,
    max_record: usize,
    sheet: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let mut reader = BufReader::with_capacity(CHUNK, text);
    let separator = detect_separator(reader.fill_buf().map_err(io_error)?);
    let reader = KeepBlankLines {
        inner: reader,
        since_break: 0,
        max_record,
        lines: 0,
        separator,
        in_quotes: false,
        quote_opens: true,
        line_empty: true,
        pending_newline: false,
    };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(CHUNK)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let mut feeder = TableFeeder::new(sheet);
    let mut row = 0u64;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e, max_record)),
        }
        row += 1;
        feeder.push(visitor, row, Cells::Record(&record))?;
    }
    feeder.finish(visitor)
}

fn csv_error(e: csv::Error, max_record: usize) -> CheckError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            match io.get_ref().and_then(|i| i.downcast_ref::<RecordTooLong>()) {
                Some(RecordTooLong(row)) => super::limits::row_too_long(*row, max_record),
                None => io_error(io),
            }
        }
        other => CheckError::unreadable(
            format!("Le fichier CSV est mal formé (vers la ligne {line})."),
            format!("The CSV file is malformed (near line {line}): {other:?}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_cells(bytes: &[u8]) -> Result<Vec<(u64, String)>, CheckError> {
        let mut rows = Rows::default();
        visit_csv_sniffed(bytes, 1 << 20, None, &mut rows)?;
        Ok(rows.0)
    }

    #[test]
    fn encodings_found_in_one_pass() {
        let cells = |b: &[u8]| first_cells(b).unwrap()[0].1.clone();
        assert_eq!(cells(b"a;b\n1;2\n"), "a");
        assert_eq!(cells(b"\xEF\xBB\xBFa;b\n"), "a");
        assert_eq!(cells("Hénin;1\n".as_bytes()), "Hénin");
        assert_eq!(cells(b"H\xE9nin;\x80\n"), "Hénin");
        assert_eq!(cells(b"\xFF\xFEa\0;\0\xE9\0"), "a");
        assert!(matches!(
            first_cells(b"PK\x03\x04\0\0"),
            Err(CheckError::Unreadable { .. })
        ));
        // A multi-byte character straddling the 64 KiB chunk boundary stays UTF-8.
        let mut big = vec![b'a'; CHUNK - 1];
        big.extend_from_slice("é".as_bytes());
        big.extend_from_slice(b"z");
        assert_eq!(cells(&big), String::from_utf8(big.clone()).unwrap());
    }

    #[derive(Default)]
    struct Rows(Vec<(u64, String)>);

    impl TableVisitor for Rows {
        fn begin(&mut self, _: Option<&str>, row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
            self.row(row, cells)
        }
        fn row(&mut self, row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
            self.0.push((row, cells.get(0).to_owned()));
            Ok(())
        }
        fn end(&mut self) -> Result<(), CheckError> {
            Ok(())
        }
        fn unreadable(&mut self, _: Option<&str>, e: &CheckError) -> Result<(), CheckError> {
            Err(CheckError::unreadable(e.message_fr(), e.message_en()))
        }
    }

    #[test]
    fn rows_numbered_as_a_spreadsheet_shows_them() {
        let text = "\r\nh;x\r\na;1\r\n\r\n\r\nb;2\r\n\"multi\r\nline\";3\r\nc;4\r\n";
        let mut rows = Rows::default();
        visit_csv_sniffed(text.as_bytes(), 1 << 20, None, &mut rows).unwrap();
        let got: Vec<(u64, &str)> = rows.0.iter().map(|(r, c)| (*r, c.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "h"),
                (3, "a"),
                (4, ""),
                (5, ""),
                (6, "b"),
                (7, "multi\r\nline"),
                (8, "c")
            ]
        );
    }

    #[test]
    fn separators() {
        assert_eq!(detect_separator(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(detect_separator(b"a,b,c\n"), b',');
        assert_eq!(detect_separator(b"a\tb\tc\n"), b'\t');
        assert_eq!(detect_separator(b"\"x;y\",b,c\n"), b',');
        assert_eq!(detect_separator(b"a,b;c\n"), b';');
        assert_eq!(detect_separator(b"abc\n"), b';');
    }

    /// Every row a visitor receives, with all its cells.
    #[derive(Default)]
    struct AllCells(Vec<(u64, Vec<String>)>);

    impl TableVisitor for AllCells {
        fn begin(&mut self, _: Option<&str>, row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
            self.row(row, cells)
        }
        fn row(&mut self, row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
            let cells = (0..cells.len()).map(|i| cells.get(i).to_owned()).collect();
            self.0.push((row, cells));
            Ok(())
        }
        fn end(&mut self) -> Result<(), CheckError> {
            Ok(())
        }
        fn unreadable(&mut self, _: Option<&str>, e: &CheckError) -> Result<(), CheckError> {
            Err(CheckError::unreadable(e.message_fr(), e.message_en()))
        }
    }

    /// A quote in the middle of an unquoted cell is a literal character (it opens nothing, so the
    /// separator after it still separates), a lone `\r` ends a record, and blank lines are rows:
    /// apart from those blank rows, which the csv crate skips, the records are the csv crate's own.
    #[test]
    fn mid_cell_quote_lone_carriage_return_and_blank_lines_agree_with_the_csv_crate() {
        let text = "nom;note\r\nDu\"pont;a\"b\r\n\r\n\nMar\"tin;\"x;y\"\rlast;\"q\"\"r\"\n\n";
        let mut ours = AllCells::default();
        visit_csv_sniffed(text.as_bytes(), 1 << 20, None, &mut ours).unwrap();
        let mut reference = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let theirs: Vec<Vec<String>> = reference
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let filled: Vec<Vec<String>> = ours
            .0
            .iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
            .map(|(_, cells)| cells.clone())
            .collect();
        assert_eq!(filled, theirs);
        let v = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            ours.0,
            vec![
                (1, v(&["nom", "note"])),
                (2, v(&["Du\"pont", "a\"b"])),
                (3, v(&["", ""])),
                (4, v(&["", ""])),
                (5, v(&["Mar\"tin", "x;y"])),
                (6, v(&["last", "q\"r"])),
                (7, v(&["", ""])),
            ]
        );
    }
}

//! CSV reading: encoding detection (UTF-8 with or without BOM, UTF-16 with BOM, otherwise
//! Windows-1252), separator detection (`;`, `,` or tab), then a streaming parse with the `csv` crate.
//!
//! The input is read twice: a first pass checks that every byte is valid UTF-8 (a few hundred MB/s,
//! constant memory), a second one decodes and parses. Memory stays flat whatever the file size: only
//! 64 KiB buffers and the current record are held.

use std::io::{self, BufRead, BufReader, Read};

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::table::{Cells, TableFeeder, TableVisitor};
use super::CheckError;

const CHUNK: usize = 64 * 1024;

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    /// UTF-8; `bom` tells whether the file starts with a byte-order mark (skipped).
    Utf8 {
        /// The file starts with EF BB BF.
        bom: bool,
    },
    /// UTF-16 announced by its byte-order mark (Excel's "Unicode text").
    Utf16 {
        /// Little-endian (FF FE) or big-endian (FE FF).
        little_endian: bool,
    },
    /// Anything that is not valid UTF-8 is read as Windows-1252, as French exports usually are.
    Windows1252,
}

fn not_text() -> CheckError {
    CheckError::unreadable(
        "Le fichier n'est pas un fichier texte CSV (il contient des données binaires).",
        "The file is not a CSV text file (it contains binary data).",
    )
}

/// Reads the whole input once and tells its encoding. Refuses binary content (NUL bytes outside UTF-16).
pub(crate) fn detect_encoding<R: Read>(mut input: R) -> Result<TextEncoding, CheckError> {
    let mut buf = vec![0u8; CHUNK + 4];
    // Bytes of an incomplete UTF-8 sequence carried over from the previous chunk.
    let mut carry = 0usize;
    let mut first = true;
    let mut bom = false;
    let mut valid = true;
    loop {
        let n = read_full(&mut input, &mut buf[carry..carry + CHUNK])?;
        let end = carry + n;
        if first {
            first = false;
            if buf[..end].starts_with(&[0xFF, 0xFE]) {
                return Ok(TextEncoding::Utf16 {
                    little_endian: true,
                });
            }
            if buf[..end].starts_with(&[0xFE, 0xFF]) {
                return Ok(TextEncoding::Utf16 {
                    little_endian: false,
                });
            }
            bom = buf[..end].starts_with(&[0xEF, 0xBB, 0xBF]);
        }
        if buf[carry..end].contains(&0) {
            return Err(not_text());
        }
        if n == 0 {
            if carry > 0 {
                valid = false;
            }
            break;
        }
        if valid {
            match std::str::from_utf8(&buf[..end]) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() => {
                    let start = e.valid_up_to();
                    buf.copy_within(start..end, 0);
                    carry = end - start;
                }
                Err(_) => {
                    // Keep reading: a binary file must still be refused.
                    valid = false;
                    carry = 0;
                }
            }
        }
    }
    Ok(if valid {
        TextEncoding::Utf8 { bom }
    } else {
        TextEncoding::Windows1252
    })
}

/// Reads until `buf` is full or the input ends.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A reader that turns the input into UTF-8 chunk by chunk (or passes UTF-8 through, BOM skipped).
pub(crate) struct Utf8Reader<R> {
    inner: R,
    decoder: Option<Decoder>,
    skip_bom: usize,
    inbuf: Vec<u8>,
    in_pos: usize,
    in_end: usize,
    outbuf: Vec<u8>,
    out_pos: usize,
    out_end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> Utf8Reader<R> {
    /// Wraps `inner`, known to be in `encoding`.
    pub(crate) fn new(inner: R, encoding: TextEncoding) -> Self {
        let (enc, skip_bom): (Option<&'static Encoding>, usize) = match encoding {
            TextEncoding::Utf8 { bom } => (None, if bom { 3 } else { 0 }),
            TextEncoding::Utf16 {
                little_endian: true,
            } => (Some(UTF_16LE), 0),
            TextEncoding::Utf16 {
                little_endian: false,
            } => (Some(UTF_16BE), 0),
            TextEncoding::Windows1252 => (Some(WINDOWS_1252), 0),
        };
        // With BOM sniffing the UTF-16 decoders drop the BOM themselves.
        let decoder = enc.map(|e| e.new_decoder_with_bom_removal());
        let out_len = decoder
            .as_ref()
            .and_then(|d| d.max_utf8_buffer_length(CHUNK))
            .unwrap_or(CHUNK * 3 + 16);
        Self {
            inner,
            skip_bom,
            inbuf: if decoder.is_some() {
                vec![0; CHUNK]
            } else {
                Vec::new()
            },
            outbuf: if decoder.is_some() {
                vec![0; out_len]
            } else {
                Vec::new()
            },
            decoder,
            in_pos: 0,
            in_end: 0,
            out_pos: 0,
            out_end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.skip_bom > 0 {
            let mut skip = [0u8; 3];
            let n = self.inner.read(&mut skip[..self.skip_bom])?;
            if n == 0 {
                self.skip_bom = 0;
            }
            self.skip_bom -= n.min(self.skip_bom);
        }
        let Some(decoder) = self.decoder.as_mut() else {
            return self.inner.read(out);
        };
        loop {
            if self.out_pos < self.out_end {
                let n = out.len().min(self.out_end - self.out_pos);
                out[..n].copy_from_slice(&self.outbuf[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            if self.in_pos == self.in_end && !self.eof {
                let n = read_full(&mut self.inner, &mut self.inbuf)?;
                self.in_pos = 0;
                self.in_end = n;
                self.eof = n == 0;
            }
            let (result, read, written, _) = decoder.decode_to_utf8(
                &self.inbuf[self.in_pos..self.in_end],
                &mut self.outbuf,
                self.eof,
            );
            self.in_pos += read;
            self.out_pos = 0;
            self.out_end = written;
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
    }
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
        for i in memchr::memchr2_iter(b'"', b'\n', &buf[..max]) {
            if self.line_empty && buf[from..i].iter().any(|&b| b != b'\r') {
                self.line_empty = false;
            }
            from = i + 1;
            if buf[i] == b'"' {
                self.in_quotes = !self.in_quotes;
                self.line_empty = false;
            } else if !self.in_quotes {
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
        out[..max].copy_from_slice(&buf[..max]);
        self.inner.consume(max);
        self.since_break = self.since_break.saturating_add(max - line_start);
        Ok(max)
    }
}

/// Parses a CSV input in `encoding` and feeds its rows to `visitor` as one table named `sheet`.
///
/// Rows are numbered as a spreadsheet shows them: the header is row 1, each record one row, blank lines
/// count as (empty) rows, a quoted cell spanning several lines stays in one row.
pub(crate) fn visit_csv<R: Read, V: TableVisitor + ?Sized>(
    input: R,
    encoding: TextEncoding,
    max_record: usize,
    sheet: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    visit_csv_text(Utf8Reader::new(input, encoding), max_record, sheet, visitor)
}

/// [`visit_csv`] in one pass, the encoding found on the way ([`super::sniff::SniffUtf8`]): for a
/// file read as it arrives.
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

    #[test]
    fn encodings() {
        let d = |b: &[u8]| detect_encoding(b).unwrap();
        assert_eq!(d(b"a;b\n1;2\n"), TextEncoding::Utf8 { bom: false });
        assert_eq!(d(b"\xEF\xBB\xBFa;b\n"), TextEncoding::Utf8 { bom: true });
        assert_eq!(d("Hénin".as_bytes()), TextEncoding::Utf8 { bom: false });
        assert_eq!(d(b"H\xE9nin"), TextEncoding::Windows1252);
        assert_eq!(
            d(b"\xFF\xFEa\0"),
            TextEncoding::Utf16 {
                little_endian: true
            }
        );
        assert!(matches!(
            detect_encoding(&b"PK\x03\x04\0\0"[..]),
            Err(CheckError::Unreadable { .. })
        ));
        // A multi-byte character straddling the 64 KiB chunk boundary stays UTF-8.
        let mut big = vec![b'a'; CHUNK - 1];
        big.extend_from_slice("é".as_bytes());
        big.extend_from_slice(b"z");
        assert_eq!(d(&big), TextEncoding::Utf8 { bom: false });
        // A truncated sequence at the very end is not UTF-8.
        assert_eq!(d(b"abc\xC3"), TextEncoding::Windows1252);
    }

    #[test]
    fn decoding() {
        let mut s = String::new();
        Utf8Reader::new(&b"H\xE9nin;\x80"[..], TextEncoding::Windows1252)
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "Hénin;€");
        let mut s = String::new();
        Utf8Reader::new("\u{feff}a;é".as_bytes(), TextEncoding::Utf8 { bom: true })
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "a;é");
        let mut s = String::new();
        Utf8Reader::new(
            &b"\xFF\xFEa\0;\0\xE9\0"[..],
            TextEncoding::Utf16 {
                little_endian: true,
            },
        )
        .read_to_string(&mut s)
        .unwrap();
        assert_eq!(s, "a;é");
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
        visit_csv(
            text.as_bytes(),
            TextEncoding::Utf8 { bom: false },
            1 << 20,
            None,
            &mut rows,
        )
        .unwrap();
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
}

//! The identifier scan of a CSV file, at wire speed (issue 11, point 6).
//!
//! The general CSV path ([`super::csv_input`]) hands every row to a visitor through the `csv` crate,
//! which costs a copy and a UTF-8 check per record and a call per cell; the identifier scan then counts
//! the digits of each cell again. Here the scan reads the text once: a byte-class table splits cells and
//! counts their ASCII digits and `@` on the way, and only the cells that can hold a value to find (at
//! least 9 digits or an `@`, as [`super::detect::scan_cell`] requires) or that sit in a column named like
//! personal data reach the [`IdentifierScanner`]. Lines without a double quote, nearly all of them, go
//! through that tight loop; a record holding a quote is read by a general tokenizer with the `csv`
//! crate's rules (a quote opens a quoted cell only at its start, `""` inside is one quote, line breaks
//! inside quotes stay in the cell, what follows a closing quote is kept, blank lines are skipped).
//!
//! The findings are the same as the general path's (a property test compares them on random text);
//! row numbers only appear in the refusals (a record longer than [`super::ArchiveLimits::max_row_bytes`],
//! a row wider than [`MAX_COLUMNS`]), where a row is a line as a spreadsheet shows it.
//!
//! Memory stays flat: one buffer of [`BUF`] bytes, grown only for a record longer than that, up to the
//! record bound.

use std::io::{self, Read};

use super::csv_input::detect_separator;
use super::detect::may_hold_number;
use super::identifiers::IdentifierScanner;
use super::limits::row_too_long;
use super::sniff::SniffUtf8;
use super::table::{too_wide, Cells, TableVisitor, MAX_COLUMNS};
use super::CheckError;
use wide::{i8x16, u8x16};

/// The read buffer.
const BUF: usize = 256 * 1024;
/// A cell buffer over this capacity is not kept for the next record.
const BIG_CELL: usize = 64 * 1024;

const DIGIT: u8 = 1;
const AT: u8 = 2;
const SEP: u8 = 4;
const EOL: u8 = 8;
const QUOTE: u8 = 16;

/// The class of each byte for a given separator.
fn classes(separator: u8) -> [u8; 256] {
    let mut class = [0u8; 256];
    for d in b'0'..=b'9' {
        class[usize::from(d)] = DIGIT;
    }
    class[usize::from(b'@')] = AT;
    class[usize::from(separator)] = SEP;
    class[usize::from(b'\n')] = EOL;
    class[usize::from(b'\r')] = EOL;
    class[usize::from(b'"')] = QUOTE;
    class
}

fn not_utf8() -> CheckError {
    CheckError::unreadable(
        "Le fichier CSV contient du texte mal encodé.",
        "The CSV file holds badly encoded text.",
    )
}

fn io_error(e: io::Error) -> CheckError {
    if e.get_ref()
        .is_some_and(|i| i.is::<super::sniff::BinaryContent>())
    {
        CheckError::unreadable(
            "Le fichier n'est pas un fichier texte CSV (il contient des données binaires).",
            "The file is not a CSV text file (it contains binary data).",
        )
    } else {
        CheckError::Io(e)
    }
}

/// Scans a CSV input (any encoding [`SniffUtf8`] knows) for direct identifiers with `scanner`, as one
/// table, in one pass.
pub(crate) fn scan_csv<R: Read>(
    input: R,
    max_record: usize,
    scanner: &mut IdentifierScanner<'_>,
) -> Result<(), CheckError> {
    let mut input = SniffUtf8::new(input);
    let mut buf = vec![0u8; BUF];
    let mut len = 0usize;
    let mut eof = false;
    fill(&mut input, &mut buf, &mut len, &mut eof)?;
    let separator = detect_separator(&buf[..len]);
    let mut scan = Scan {
        scanner,
        class: classes(separator),
        separator,
        started: false,
        named: Vec::new(),
        row: 1,
        cells: Vec::new(),
        width: 0,
        max_record,
    };
    loop {
        let used = scan.records(&buf[..len], eof)?;
        if eof {
            break;
        }
        buf.copy_within(used..len, 0);
        len -= used;
        if len > max_record {
            return Err(row_too_long(scan.row, max_record));
        }
        if len == buf.len() {
            // One record longer than the buffer: room for it, up to the bound.
            let grown = buf
                .len()
                .saturating_mul(2)
                .min(max_record.saturating_add(BUF));
            buf.resize(grown.max(buf.len() + 1), 0);
        }
        fill(&mut input, &mut buf, &mut len, &mut eof)?;
    }
    if scan.started {
        scan.scanner.end()?;
    }
    Ok(())
}

/// Reads until `buf` is full or the input ends.
fn fill<R: Read>(
    input: &mut R,
    buf: &mut [u8],
    len: &mut usize,
    eof: &mut bool,
) -> Result<(), CheckError> {
    while *len < buf.len() {
        match input.read(&mut buf[*len..]) {
            Ok(0) => {
                *eof = true;
                break;
            }
            Ok(n) => *len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(())
}

/// The state of one scan.
struct Scan<'a, 'r> {
    scanner: &'a mut IdentifierScanner<'r>,
    class: [u8; 256],
    separator: u8,
    /// The header has been seen (the first record with a non-blank cell).
    started: bool,
    /// Per column of the header: named like personal data.
    named: Vec<bool>,
    /// The row (a line as a spreadsheet shows it, 1-based) of the next record.
    row: u64,
    /// The cells of a record read by the general tokenizer (only the first `width` are in use).
    cells: Vec<Vec<u8>>,
    width: usize,
    max_record: usize,
}

impl Scan<'_, '_> {
    /// Scans the complete records at the start of `data` (all of it at the end of the input); returns
    /// how many bytes they took.
    fn records(&mut self, data: &[u8], eof: bool) -> Result<usize, CheckError> {
        // Records end at a line break outside quotes: without quotes, everything up to the last
        // line break is whole records.
        let whole = if eof {
            data.len()
        } else {
            memchr::memrchr2(b'\n', b'\r', data).map_or(0, |i| i + 1)
        };
        let mut pos = 0usize;
        while pos < data.len() {
            if !self.started {
                match self.general(&data[pos..], eof)? {
                    Some(n) => pos += n,
                    None => break,
                }
                continue;
            }
            let whole = whole.max(pos);
            let plain_end = match memchr::memchr(b'"', &data[pos..whole]) {
                None => whole,
                // The line holding the quote starts after the line break before it.
                Some(q) => {
                    memchr::memrchr2(b'\n', b'\r', &data[pos..pos + q]).map_or(pos, |i| pos + i + 1)
                }
            };
            if plain_end > pos {
                self.plain(&data[pos..plain_end])?;
                pos = plain_end;
                continue;
            }
            match self.general(&data[pos..], eof)? {
                Some(n) => pos += n,
                None => break,
            }
        }
        Ok(pos)
    }

    /// Whole records without any double quote (the last one may lack its line break at the end of the
    /// input). Only called once the header is known.
    fn plain(&mut self, d: &[u8]) -> Result<(), CheckError> {
        if self.named.iter().any(|&n| n) || self.max_record < 64 {
            // Every non-blank cell of a named column counts: look at each cell. (A bound under 64
            // bytes, which several line breaks of a block could each pass, is not worth a fast path:
            // the bound is far larger in practice.)
            self.plain_bytes(d)
        } else if memchr::memchr(b'@', d).is_some() {
            self.plain_blocks::<true>(d)
        } else {
            // No `@` anywhere (most files): the blocks need no `@` mask.
            self.plain_blocks::<false>(d)
        }
    }

    /// [`Self::plain`], 64 bytes at a time, without a step per cell: bit masks of the separators,
    /// line breaks, digits and `@` of a block (SIMD comparisons, sixteen bytes at a time; the `@`
    /// mask only when `AT`, i.e. `d` holds one); a cell can hold a value only if it holds 9 digits
    /// or an `@`, so the digits among the 9th and later bytes of the runs between stops, and the
    /// `@` mask, point at the only cells to look at (one or two per row). A cell
    /// that runs on into the next block is looked at there, from its start (`cell_start`), with what
    /// it held so far (`digits`, `digit_bits`, `at`).
    ///
    /// Little is counted per block: digits only for the cells long enough to matter, columns only
    /// for the cells handed over ([`Cols`]) and for records long enough to hold [`MAX_COLUMNS`]
    /// separators ([`Self::record_end`]), which the bit counts of a machine without a population
    /// count instruction (the x86-64 baseline) would otherwise pay on every block.
    fn plain_blocks<const AT: bool>(&mut self, d: &[u8]) -> Result<(), CheckError> {
        // The open cell (started, not yet ended): where it starts, its digits in the blocks before
        // the last one seen, the digit bits of its part in that block (counted when needed), and
        // whether it holds an `@`.
        let mut cell_start = 0usize;
        let mut digits = 0u32;
        let mut digit_bits = 0u64;
        let mut at = false;
        let mut record_start = 0usize;
        let mut cols = Cols::default();
        let mut base = 0usize;
        let mut pad = [0u8; 64];
        for block in d.chunks(64) {
            let block: &[u8; 64] = if let Ok(full) = block.try_into() {
                full
            } else {
                // The input holds no NUL byte, and a NUL is none of the bytes looked for.
                pad[..block.len()].copy_from_slice(block);
                pad[block.len()..].fill(0);
                &pad
            };
            let m = Masks::of::<AT>(block, self.separator);
            let stop = m.sep | m.eol;
            if stop == 0 {
                // The open cell goes on through the whole block.
                digits += digit_bits.count_ones();
                digit_bits = m.digit;
                at |= m.at != 0;
                base += 64;
                continue;
            }
            // The open cell ends at the first stop of the block.
            let first = stop.trailing_zeros();
            let cell_at = at || m.at & below(first) != 0;
            if base + first as usize - cell_start >= 9 || cell_at {
                let tail = m.digit & below(first);
                let cell_digits = if digits == 0 && digit_bits | tail == 0 {
                    0
                } else {
                    digits + digit_bits.count_ones() + tail.count_ones()
                };
                if cell_digits >= 9 || cell_at {
                    let end = base + first as usize;
                    let cell = Span {
                        record: record_start,
                        from: cell_start,
                        to: end,
                    };
                    self.candidate(d, &mut cols, cell, cell_digits, cell_at)?;
                }
            }
            // Cells starting in this block: the digits that are the 9th or a later byte of a run
            // without a stop, and `@`. A cell with 9 digits has its 9th digit there; a long word
            // without a digit is never looked at.
            let n = !stop;
            let two = n & (n << 1);
            let four = two & (two << 2);
            let nine = four & (four << 4) & (n << 8);
            let mut marks = ((nine & m.digit) | m.at) & !below(first + 1);
            while marks != 0 {
                let p = marks.trailing_zeros();
                let after = stop & !below(p);
                if after == 0 {
                    // It runs on into the next block.
                    break;
                }
                let e = after.trailing_zeros();
                // There is a stop before `p` (the first one, at least).
                let s = 64 - (stop & below(p)).leading_zeros();
                let range = below(e) & !below(s);
                let cell_digits = (m.digit & range).count_ones();
                let cell_at = m.at & range != 0;
                if cell_digits >= 9 || cell_at {
                    // The record starts after the last line break before the cell, if any in
                    // this block (those are not counted in `record_start` yet).
                    let eols = m.eol & below(s);
                    let record = if eols == 0 {
                        record_start
                    } else {
                        base + 64 - eols.leading_zeros() as usize
                    };
                    let cell = Span {
                        record,
                        from: base + s as usize,
                        to: base + e as usize,
                    };
                    self.candidate(d, &mut cols, cell, cell_digits, cell_at)?;
                }
                marks &= !below(e + 1);
            }
            // Records and rows.
            let mut eols = m.eol;
            while eols != 0 {
                let abs = base + eols.trailing_zeros() as usize;
                self.record_end(&d[record_start..abs])?;
                record_start = abs + 1;
                self.row += u64::from(d[abs] == b'\n');
                eols &= eols - 1;
            }
            // The cell open at the end of the block starts after its last stop.
            let last = 63 - stop.leading_zeros();
            let rest = !below(last + 1);
            cell_start = base + last as usize + 1;
            digits = 0;
            digit_bits = m.digit & rest;
            at = m.at & rest != 0;
            base += 64;
        }
        // The last record, without a line break at the end of the input.
        if record_start < d.len() && d.len() - record_start >= MAX_COLUMNS {
            self.too_wide(&d[record_start..])?;
        }
        if cell_start < d.len() {
            if d.len() - record_start > self.max_record {
                return Err(row_too_long(self.row, self.max_record));
            }
            let digits = digits + digit_bits.count_ones();
            if digits >= 9 || at {
                let cell = Span {
                    record: record_start,
                    from: cell_start,
                    to: d.len(),
                };
                self.candidate(d, &mut cols, cell, digits, at)?;
            }
        }
        Ok(())
    }

    /// The checks of a record ended by a line break, `record` without it: no more than
    /// [`MAX_COLUMNS`] columns, no more than the record bound. (Only a record of at least
    /// [`MAX_COLUMNS`] bytes can hold that many separators: only such a one is counted.)
    #[inline]
    fn record_end(&self, record: &[u8]) -> Result<(), CheckError> {
        if record.len() >= MAX_COLUMNS {
            self.too_wide(record)?;
        }
        if record.len() > self.max_record {
            return Err(row_too_long(self.row, self.max_record));
        }
        Ok(())
    }

    /// Refuses a record (or its start) holding [`MAX_COLUMNS`] separators or more.
    #[cold]
    fn too_wide(&self, record: &[u8]) -> Result<(), CheckError> {
        if memchr::memchr_iter(self.separator, record).count() >= MAX_COLUMNS {
            return Err(too_wide(self.row));
        }
        Ok(())
    }

    /// A cell with at least 9 digits or an `@`, in a table without named columns. A cell of digits
    /// only holds a value only at the lengths of a phone number (10, 13 with `0033`) or a NIR (15):
    /// an 11-digit RPLS identifier on every row costs nothing more (not even its column).
    #[inline]
    fn candidate(
        &mut self,
        d: &[u8],
        cols: &mut Cols,
        cell: Span,
        digits: u32,
        at: bool,
    ) -> Result<(), CheckError> {
        let bytes = &d[cell.from..cell.to];
        if !at && digits as usize == bytes.len() && !matches!(bytes.len(), 10 | 13 | 15) {
            return Ok(());
        }
        if !at && !may_hold_number(bytes) {
            // Digits in short groups (an OPS file's ages, `82|29|5|14`, on many rows).
            return Ok(());
        }
        let col = cols.of(d, cell.record, cell.from, self.separator);
        self.cell(col, bytes, true)
    }

    /// [`Self::plain`] one byte at a time, every cell of a named column handed over.
    fn plain_bytes(&mut self, d: &[u8]) -> Result<(), CheckError> {
        let class = self.class;
        let mut cell_start = 0usize;
        let mut record_start = 0usize;
        let mut col = 0usize;
        let mut digits = 0u32;
        let mut at = 0u8;
        for (i, &b) in d.iter().enumerate() {
            let c = class[usize::from(b)];
            if c & (SEP | EOL) == 0 {
                digits += u32::from(c & DIGIT);
                at |= c & AT;
                continue;
            }
            if i > cell_start {
                self.cell(col, &d[cell_start..i], digits >= 9 || at != 0)?;
            }
            digits = 0;
            at = 0;
            cell_start = i + 1;
            if c & SEP != 0 {
                col += 1;
                if col >= MAX_COLUMNS {
                    return Err(too_wide(self.row));
                }
            } else {
                if i - record_start > self.max_record {
                    return Err(row_too_long(self.row, self.max_record));
                }
                col = 0;
                record_start = i + 1;
                if b == b'\n' {
                    self.row += 1;
                }
            }
        }
        if cell_start < d.len() {
            if d.len() - record_start > self.max_record {
                return Err(row_too_long(self.row, self.max_record));
            }
            self.cell(col, &d[cell_start..], digits >= 9 || at != 0)?;
        }
        Ok(())
    }

    /// One non-empty cell of a record under the header.
    #[inline]
    fn cell(&mut self, col: usize, bytes: &[u8], values: bool) -> Result<(), CheckError> {
        let named = self.named.get(col).copied().unwrap_or(false);
        if !values && !named {
            return Ok(());
        }
        let text = std::str::from_utf8(bytes).map_err(|_| not_utf8())?;
        self.scanner.cell(col, text, values);
        Ok(())
    }

    /// Reads one record at the start of `data` with the `csv` crate's rules (quotes included), after
    /// skipping blank lines, and hands it over; returns the bytes it took, or `None` when the record
    /// goes on past `data` (and the input does not end there).
    fn general(&mut self, data: &[u8], eof: bool) -> Result<Option<usize>, CheckError> {
        let mut i = 0usize;
        // Blank lines are no records.
        while i < data.len() && matches!(data[i], b'\n' | b'\r') {
            if data[i] == b'\n' {
                self.row += 1;
            }
            i += 1;
        }
        if i == data.len() {
            return Ok(Some(i));
        }
        let start = i;
        let row = self.row;
        let mut lines = 0u64;
        // A cell's buffer keeps its capacity from one record to the next: a big one is given back,
        // so that a file with one big cell in another column on each row holds one at a time.
        for cell in &mut self.cells[..self.width] {
            if cell.capacity() > BIG_CELL {
                *cell = Vec::new();
            }
        }
        self.width = 0;
        self.next_cell();
        let mut ended = false;
        while i < data.len() {
            // At the start of a cell.
            if data[i] == b'"' {
                i += 1;
                // Quoted: up to the closing quote; `""` is one quote.
                loop {
                    let Some(q) = memchr::memchr(b'"', &data[i..]) else {
                        lines += count_newlines(&data[i..]);
                        self.push(&data[i..]);
                        i = data.len();
                        break;
                    };
                    lines += count_newlines(&data[i..i + q]);
                    self.push(&data[i..i + q]);
                    i += q + 1;
                    if data.get(i) == Some(&b'"') {
                        self.push(b"\"");
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            // Unquoted, or what follows a closing quote: kept as it is, up to a separator or a line
            // break.
            let rest = &data[i..];
            let stop = rest
                .iter()
                .position(|&b| b == self.separator || b == b'\n' || b == b'\r')
                .unwrap_or(rest.len());
            self.push(&rest[..stop]);
            i += stop;
            if i - start > self.max_record {
                return Err(row_too_long(row, self.max_record));
            }
            match data.get(i) {
                Some(&b) if b == self.separator => {
                    i += 1;
                    if self.width >= MAX_COLUMNS {
                        return Err(too_wide(row));
                    }
                    self.next_cell();
                }
                Some(&b) => {
                    if b == b'\n' {
                        lines += 1;
                    }
                    i += 1;
                    ended = true;
                    break;
                }
                None => break,
            }
        }
        if !ended && !eof {
            return Ok(None);
        }
        self.row += lines;
        self.hand_over(row)?;
        Ok(Some(i))
    }

    fn next_cell(&mut self) {
        if self.cells.len() == self.width {
            self.cells.push(Vec::new());
        }
        self.cells[self.width].clear();
        self.width += 1;
    }

    fn push(&mut self, bytes: &[u8]) {
        if let Some(cell) = self.cells[..self.width].last_mut() {
            cell.extend_from_slice(bytes);
        }
    }

    /// Hands the record read by [`Self::general`] over: the header while none is known (blank records
    /// before it are skipped), a row under it otherwise.
    fn hand_over(&mut self, row: u64) -> Result<(), CheckError> {
        let mut texts = Vec::with_capacity(self.width);
        if !self.started {
            for cell in &self.cells[..self.width] {
                texts.push(String::from_utf8(cell.clone()).map_err(|_| not_utf8())?);
            }
            let header = Cells::Texts(&texts);
            if header.is_blank() {
                return Ok(());
            }
            self.scanner.begin(None, row, header)?;
            self.started = true;
            self.named = self.scanner.named_columns();
            return Ok(());
        }
        for col in 0..self.width {
            let cell = std::mem::take(&mut self.cells[col]);
            if !cell.is_empty() {
                let digits = cell.iter().filter(|b| b.is_ascii_digit()).count();
                let at = cell.contains(&b'@');
                self.cell(col, &cell, digits >= 9 || at)?;
            }
            self.cells[col] = cell;
        }
        Ok(())
    }
}

/// Bits `0..n` set (`n` < 64 gives n bits, 64 and more all of them).
#[inline]
fn below(n: u32) -> u64 {
    1u64.checked_shl(n).map_or(u64::MAX, |b| b - 1)
}

/// The bytes of interest in a 64-byte block, one bit per byte.
struct Masks {
    /// Separators.
    sep: u64,
    /// Line breaks (`\n`, `\r`).
    eol: u64,
    /// ASCII digits.
    digit: u64,
    /// `@`.
    at: u64,
}

impl Masks {
    /// Sixteen bytes at a time with SIMD comparisons (SSE2 on x86-64, NEON on arm64, plain code
    /// elsewhere: the `wide` crate chooses at build time, with no `unsafe` here); the `@` mask only
    /// when `AT` (zero otherwise).
    #[inline]
    fn of<const AT: bool>(block: &[u8; 64], separator: u8) -> Self {
        let (sep_v, lf, cr, at_v) = (
            u8x16::splat(separator),
            u8x16::splat(b'\n'),
            u8x16::splat(b'\r'),
            u8x16::splat(b'@'),
        );
        // A digit is a byte `b` with `b - b'0' < 10`: adding `0x80 - b'0'` moves `0`..`9` to the
        // bottom of the signed bytes, where one signed comparison finds them.
        let (to_bottom, ten) = (u8x16::splat(0x80 - b'0'), i8x16::splat(i8::MIN + 10));
        let mut m = Masks {
            sep: 0,
            eol: 0,
            digit: 0,
            at: 0,
        };
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(chunk);
            let v = u8x16::new(bytes);
            let shift = 16 * k as u32;
            m.sep |= u64::from(v.simd_eq(sep_v).to_bitmask()) << shift;
            m.eol |= u64::from((v.simd_eq(lf) | v.simd_eq(cr)).to_bitmask()) << shift;
            let digit = (v + to_bottom).cast_signed().simd_lt(ten);
            m.digit |= u64::from(digit.to_bitmask()) << shift;
            if AT {
                m.at |= u64::from(v.simd_eq(at_v).to_bitmask()) << shift;
            }
        }
        m
    }
}

/// A cell handed over from the fast path: its byte range in the data, and where its record starts.
#[derive(Clone, Copy)]
struct Span {
    record: usize,
    from: usize,
    to: usize,
}

/// The column of the cells handed over, counted only for them: the separators of the current
/// record up to `pos`, carried on from one cell of a record to the next.
#[derive(Default)]
struct Cols {
    pos: usize,
    count: usize,
}

impl Cols {
    /// The column of a cell starting at `from` in the record starting at `record` (cells come in
    /// order).
    fn of(&mut self, d: &[u8], record: usize, from: usize, separator: u8) -> usize {
        if self.pos < record || self.pos > from {
            self.pos = record;
            self.count = 0;
        }
        self.count += d[self.pos..from]
            .iter()
            .filter(|&&b| b == separator)
            .count();
        self.pos = from;
        self.count
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::identifiers::IdentifierScanner;
    use crate::checks::{csv_input, Finding, IdentifierRules};
    use proptest::prelude::*;

    fn fast(bytes: &[u8], max: usize) -> Result<Vec<Finding>, CheckError> {
        let rules = IdentifierRules::default();
        let mut scanner = IdentifierScanner::new(&rules);
        scan_csv(bytes, max, &mut scanner)?;
        Ok(scanner.findings)
    }

    fn general(bytes: &[u8], max: usize) -> Result<Vec<Finding>, CheckError> {
        let rules = IdentifierRules::default();
        let mut scanner = IdentifierScanner::new(&rules);
        csv_input::visit_csv_sniffed(bytes, max, None, &mut scanner)?;
        Ok(scanner.findings)
    }

    #[test]
    fn same_findings_as_the_general_path_on_the_fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
        let dir = if dir.exists() {
            dir
        } else {
            std::path::PathBuf::from("/work/shared/fixtures")
        };
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "csv") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                assert_eq!(
                    fast(&bytes, 1 << 20).ok(),
                    general(&bytes, 1 << 20).ok(),
                    "{}",
                    path.display()
                );
                seen += 1;
            }
        }
        assert!(seen >= 3, "fixtures not found in {}", dir.display());
    }

    #[test]
    fn block_masks_match_the_bytes() {
        let mut block = [0u8; 64];
        for (i, b) in block.iter_mut().enumerate() {
            *b = b"ab;12\n@x9:/0\r\xc3\xa9\xff\x7f 5"[i % 19];
        }
        let m = Masks::of::<true>(&block, b';');
        for (i, &b) in block.iter().enumerate() {
            assert_eq!(m.sep >> i & 1 == 1, b == b';', "{i}");
            assert_eq!(m.eol >> i & 1 == 1, matches!(b, b'\n' | b'\r'), "{i}");
            assert_eq!(m.digit >> i & 1 == 1, b.is_ascii_digit(), "{i}");
            assert_eq!(m.at >> i & 1 == 1, b == b'@', "{i}");
        }
        // Every byte value, in every lane.
        for x in 0..=255u8 {
            let mut block = [b'a'; 64];
            for lane in (usize::from(x) % 7..64).step_by(7) {
                block[lane] = x;
            }
            let m = Masks::of::<true>(&block, b'\t');
            for (i, &b) in block.iter().enumerate() {
                assert_eq!(m.digit >> i & 1 == 1, b.is_ascii_digit(), "{x} at {i}");
                assert_eq!(m.sep >> i & 1 == 1, b == b'\t', "{x} at {i}");
                assert_eq!(m.at >> i & 1 == 1, b == b'@', "{x} at {i}");
            }
        }
        assert_eq!(below(0), 0);
        assert_eq!(below(3), 0b111);
        assert_eq!(below(64), u64::MAX);
    }

    #[test]
    fn quotes_line_breaks_and_blank_lines() {
        let text = "\r\n\r\nnom;tel;note\r\n\"Dupont\";\"06 12 34 56 78\";\"a\"\"b\"\r\n\r\n\
                    \"Martin\";x;\"on two\nlines: jean.dupont@exemple.fr\"\n\"\"\"\"x;0612345678y;\n";
        let got = fast(text.as_bytes(), 1 << 20).unwrap();
        assert_eq!(got, general(text.as_bytes(), 1 << 20).unwrap());
        let kinds: Vec<&str> = got.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(kinds, ["name_column", "phone_column", "phone", "email"]);
        assert_eq!(got[0].count, 3);
    }

    #[test]
    fn a_record_across_buffer_refills_is_read_whole() {
        let mut text = String::from("commune;contact\n");
        // Push a phone number across the 256 KiB boundary, and a long quoted cell past it.
        let filler = "x".repeat(BUF - text.len() - 10);
        text.push_str(&format!("{filler};06 12 34 56 78\n"));
        text.push_str(&format!("\"{}\";a@b.fr\n", "y;\n".repeat(BUF / 3)));
        let got = fast(text.as_bytes(), 1 << 20).unwrap();
        assert_eq!(got, general(text.as_bytes(), 1 << 20).unwrap());
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn long_and_wide_records_are_refused_with_their_row() {
        let mut long = b"a;b\n1;2\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 5000));
        long.push(b'\n');
        let err = fast(&long, 4096).unwrap_err();
        assert!(err.message_en().contains("row 3"), "{}", err.message_en());
        let mut quoted = b"a;b\n\"".to_vec();
        quoted.extend(std::iter::repeat_n(b'x', BUF * 3));
        let err = fast(&quoted, BUF).unwrap_err();
        assert!(err.message_en().contains("row 2"), "{}", err.message_en());
        let wide = format!("a\n{}\n", ";".repeat(MAX_COLUMNS));
        let err = fast(wide.as_bytes(), 1 << 20).unwrap_err();
        assert!(err.message_en().contains("columns"), "{}", err.message_en());
        assert!(fast(b"a;b\n\0", 1 << 20).is_err());
    }

    /// Columns are counted only for records of at least [`MAX_COLUMNS`] bytes: a long record with
    /// few separators passes, a wide one is refused wherever it stands (last, without a line
    /// break, too), and a value after a long cell is still given its column.
    #[test]
    fn long_records_are_counted_for_columns_only_when_they_could_be_too_wide() {
        let long = format!("a;b;c\n{};x;06 12 34 56 78\n", "y".repeat(3 * MAX_COLUMNS));
        let got = fast(long.as_bytes(), 1 << 20).unwrap();
        assert_eq!(got, general(long.as_bytes(), 1 << 20).unwrap());
        assert_eq!(
            (got[0].column.as_str(), got[0].kind.as_str()),
            ("c", "phone")
        );
        let last = format!("a\n1\n{}", ";".repeat(MAX_COLUMNS));
        let err = fast(last.as_bytes(), 1 << 20).unwrap_err();
        assert!(
            err.message_en().starts_with("Row 3 "),
            "{}",
            err.message_en()
        );
        let narrow = format!("a\n1\n{}", ";".repeat(MAX_COLUMNS - 1));
        assert!(fast(narrow.as_bytes(), 1 << 20).is_ok());
        // Wide and long at once: refused as too wide, the first bound it meets.
        let both = format!("a\n{}\n", ";".repeat(MAX_COLUMNS + 10));
        let err = fast(both.as_bytes(), MAX_COLUMNS).unwrap_err();
        assert!(err.message_en().contains("columns"), "{}", err.message_en());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// On any text made of the characters that matter, the findings are those of the general path.
        #[test]
        fn agrees_with_the_general_path(
            cells in proptest::collection::vec(
                prop_oneof![
                    Just("nom".to_owned()), Just("tel".to_owned()), Just("commune".to_owned()),
                    Just("06 12 34 56 78".to_owned()), Just("jean@exemple.fr".to_owned()),
                    Just("1 85 05 78 006 084 36".to_owned()), Just("\"".to_owned()),
                    Just("06\u{a0}12\u{a0}34\u{a0}56\u{a0}78".to_owned()),
                    Just("82|29|5|14|12|17".to_owned()), Just("|".to_owned()),
                    Just("FR76 3000 6000 0112 3456 7890 189".to_owned()),
                    Just("\"\"".to_owned()), Just(";".to_owned()), Just(",".to_owned()),
                    Just("\n".to_owned()), Just("\r\n".to_owned()), Just("\r".to_owned()),
                    Just(" ".to_owned()), Just("é".to_owned()), Just("x".to_owned()),
                    "[0-9 @.;\"\n]{0,12}",
                ],
                0..40,
            )
        ) {
            let text = cells.concat();
            let a = fast(text.as_bytes(), 1 << 20);
            let b = general(text.as_bytes(), 1 << 20);
            prop_assert_eq!(a.ok(), b.ok(), "{:?}", text);
        }

        /// Long unquoted text, where cells cross the 64-byte blocks of the fast path anywhere: the
        /// same findings as the general path.
        #[test]
        fn agrees_across_blocks(
            head in "[a-z]{1,3}(;[a-z]{1,3}){0,4}",
            body in "[0-9;\n\r@a. ]{0,1500}",
        ) {
            let text = format!("{head}\n{body}");
            let a = fast(text.as_bytes(), 1 << 20);
            let b = general(text.as_bytes(), 1 << 20);
            prop_assert_eq!(a.ok(), b.ok(), "{:?}", text);
        }

        /// Rows like an OPS file's, with words, codes, long digit runs, phone numbers, NIRs and
        /// (sometimes) e-mail addresses, cut anywhere by the 64-byte blocks, with or without any
        /// `@` in the file: the same findings as the general path.
        #[test]
        fn agrees_on_rows_like_an_ops_file(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![
                        4 => "[a-zé ]{0,24}",
                        2 => "[0-9]{1,16}",
                        1 => "HAB-[0-9]{6}",
                        1 => "0[1-9]([ .]?[0-9]{2}){4}",
                        1 => Just("1 85 05 78 006 084 36".to_owned()),
                        1 => Just("185057800608436".to_owned()),
                        1 => "[a-z]{0,12} [0-9 ]{8,20} [a-z]{0,5}",
                    ],
                    1..12,
                ),
                1..30,
            ),
            email in proptest::option::of("[a-z]{1,8}@[a-z]{2,8}\\.(fr|com)"),
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("bailleur;commune;code{eol}");
            for (i, row) in rows.iter().enumerate() {
                text.push_str(&row.join(";"));
                if i == rows.len() / 2 {
                    if let Some(email) = &email {
                        text.push_str(&format!(";{email}"));
                    }
                }
                text.push_str(eol);
            }
            let a = fast(text.as_bytes(), 1 << 20);
            let b = general(text.as_bytes(), 1 << 20);
            prop_assert_eq!(a.ok(), b.ok(), "{:?}", text);
        }
    }
}

//! xls workbooks (BIFF5/BIFF8 in an OLE compound file): a walk over the records of the Workbook stream
//! bounds what calamine will allocate, then calamine reads the sheets.
//!
//! calamine reserves `rows × columns` cells from each sheet's DIMENSIONS record, whatever the file
//! really holds (a 5.6 KB file declaring 4 billion rows asks for terabytes), and then makes every sheet
//! a dense range spanning its cells, all sheets at once. Before calamine sees the file, every DIMENSIONS
//! record and the span of the cells of every sheet are summed and checked against
//! [`ArchiveLimits::max_xls_cells`].

use std::io::{BufReader, Cursor, Read, Seek, Write};
use std::panic::AssertUnwindSafe;

use calamine::{Reader, Xls};

use super::cells::{label, visit_range};
use super::limits::{ArchiveLimits, Budget};
use super::table::TableVisitor;
use super::CheckError;

fn corrupt() -> CheckError {
    CheckError::unreadable(
        "Le fichier Excel est endommagé ou n'est pas un vrai fichier .xls.",
        "The Excel file is damaged or is not a real .xls file.",
    )
}

fn u16_at(d: &[u8], i: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes([*d.get(i)?, *d.get(i + 1)?])))
}

fn u32_at(d: &[u8], i: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes([
        *d.get(i)?,
        *d.get(i + 1)?,
        *d.get(i + 2)?,
        *d.get(i + 3)?,
    ])))
}

/// The cells a DIMENSIONS record makes calamine reserve (its own arithmetic, without the overflow).
fn declared_cells(d: &[u8]) -> Result<u64, CheckError> {
    let (rf, rl, cf, cl) = match d.len() {
        10 => (u16_at(d, 0), u16_at(d, 2), u16_at(d, 4), u16_at(d, 6)),
        14 | 16 => (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10)),
        _ => return Err(corrupt()),
    };
    let (Some(rf), Some(rl), Some(cf), Some(cl)) = (rf, rl, cf, cl) else {
        return Err(corrupt());
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    if rl == 0 || cl == 0 {
        return Ok(1);
    }
    // calamine computes (rl - 1) - rf + 1 in u32: a first row past the last one overflows.
    if rf > rl - 1 {
        return Err(corrupt());
    }
    Ok((rl - rf).saturating_mul(cl - cf))
}

/// The span of the cells of one sheet.
#[derive(Default)]
struct Span {
    min: Option<(u64, u64)>,
    max: (u64, u64),
}

impl Span {
    fn add(&mut self, row: u64, col: u64) {
        let (r0, c0) = self.min.unwrap_or((row, col));
        self.min = Some((r0.min(row), c0.min(col)));
        self.max = (self.max.0.max(row), self.max.1.max(col));
    }

    fn cells(&self) -> u64 {
        match self.min {
            None => 0,
            Some((r0, c0)) => (self.max.0 - r0 + 1).saturating_mul(self.max.1 - c0 + 1),
        }
    }
}

/// Walks the records of the Workbook stream and checks the cells calamine would allocate.
fn check_records<R: Read>(stream: R, limits: &ArchiveLimits) -> Result<(), CheckError> {
    let mut input = BufReader::with_capacity(64 * 1024, stream);
    let mut data = vec![0u8; u16::MAX as usize];
    let mut total = 0u64;
    let mut span = Span::default();
    let mut declared = 0u64;
    let mut add = |span: &mut Span, declared: &mut u64| -> Result<(), CheckError> {
        total = total.saturating_add(span.cells().max(*declared));
        *span = Span::default();
        *declared = 0;
        if total > limits.max_xls_cells {
            return Err(CheckError::too_large(
                format!(
                    "Fichier refusé : ses feuilles couvrent plus de {} cellules (lignes × colonnes).",
                    limits.max_xls_cells
                ),
                format!(
                    "File refused: its sheets span more than {} cells (rows × columns).",
                    limits.max_xls_cells
                ),
            ));
        }
        Ok(())
    };
    // Where BOUNDSHEET records say each sheet starts, and whether a BOF record was found there:
    // calamine slices the stream at that offset without checking it.
    let mut sheets: Vec<(u64, bool)> = Vec::new();
    let mut offset = 0u64;
    loop {
        let mut head = [0u8; 4];
        match input.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(CheckError::Io(e)),
        }
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let d = &mut data[..len];
        if input.read_exact(d).is_err() {
            // calamine refuses a truncated record too.
            return Err(corrupt());
        }
        let d = &*d;
        if typ == 0x0809 {
            for s in sheets.iter_mut().filter(|s| s.0 == offset) {
                s.1 = true;
            }
        }
        offset += 4 + len as u64;
        match typ {
            // FilePass, CodePage, DateMode, BOF: calamine reads a u16 from them unchecked (a panic).
            0x002F | 0x0042 | 0x0022 | 0x0809 if len < 2 => return Err(corrupt()),
            // Lbl (a defined name): calamine indexes its header and slices its formula unchecked.
            0x0018 if len < 15 || u16_at(d, 4).unwrap_or(u64::MAX) > (len - 15) as u64 => {
                return Err(corrupt())
            }
            // MergeCells: a count, then 8 bytes per merged range, read by calamine unchecked.
            0x00E5 if len < 2 || 2 + 8 * u16_at(d, 0).unwrap_or(0) > len as u64 => {
                return Err(corrupt())
            }
            0x0085 => {
                if sheets.len() >= limits.max_sheets {
                    return Err(super::limits::too_many_sheets(limits.max_sheets));
                }
                sheets.push((u32_at(d, 0).ok_or_else(corrupt)?, false));
            }
            0x0200 => declared = declared.saturating_add(declared_cells(d)?),
            // Number, Label, RString, BoolErr, Rk, LabelSst, Formula, Blank.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 | 0x0201 => {
                if let (Some(r), Some(c)) = (u16_at(d, 0), u16_at(d, 2)) {
                    span.add(r, c);
                }
            }
            // MulRk, MulBlank: row, first column, …, last column.
            0x00BD | 0x00BE if len >= 6 => {
                if let (Some(r), Some(c0), Some(c1)) =
                    (u16_at(d, 0), u16_at(d, 2), u16_at(d, len - 2))
                {
                    span.add(r, c0);
                    span.add(r, c1.max(c0));
                }
            }
            // EOF of a substream: the sheet (or the globals) is complete.
            0x000A => add(&mut span, &mut declared)?,
            _ => {}
        }
    }
    if sheets.iter().any(|s| !s.1) {
        return Err(corrupt());
    }
    add(&mut span, &mut declared)
}

/// Reads every sheet of an xls workbook and feeds it to `visitor`.
///
/// The Workbook stream is read with the `cfb` crate, its records are checked, and calamine is given a
/// fresh compound file holding exactly the checked stream: calamine has its own compound-file parser,
/// and on a damaged file the two may not read the same bytes (the fuzzer found such a file, whose
/// DIMENSIONS only calamine saw).
pub(crate) fn visit_xls<R: Read + Seek, V: TableVisitor + ?Sized>(
    mut input: R,
    limits: &ArchiveLimits,
    budget: &mut Budget,
    prefix: Option<&str>,
    visitor: &mut V,
) -> Result<(), CheckError> {
    let stream = {
        let mut cfb = cfb::CompoundFile::open(&mut input).map_err(|_| corrupt())?;
        let path = ["/Workbook", "/Book"]
            .into_iter()
            .find(|p| cfb.is_stream(p))
            .ok_or_else(corrupt)?;
        let mut stream = cfb.open_stream(path).map_err(|_| corrupt())?;
        let len = stream.len();
        if len > limits.max_nested_bytes {
            return Err(CheckError::too_large(
                format!(
                    "Fichier refusé : le classeur xls dépasse {} Mio.",
                    limits.max_nested_bytes >> 20
                ),
                format!(
                    "File refused: the xls workbook exceeds {} MiB.",
                    limits.max_nested_bytes >> 20
                ),
            ));
        }
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(usize::try_from(len).unwrap_or(usize::MAX).max(4096))
            .map_err(|_| corrupt())?;
        (&mut stream)
            .take(len)
            .read_to_end(&mut bytes)
            .map_err(|_| corrupt())?;
        bytes
    };
    check_records(&stream[..], limits)?;
    let clean = rebuild(stream)?;
    let mut wb: Xls<_> =
        std::panic::catch_unwind(AssertUnwindSafe(|| Xls::new(Cursor::new(clean))))
            .map_err(|_| corrupt())?
            .map_err(|_| corrupt())?;
    let names = wb.sheet_names();
    if names.len() > limits.max_sheets {
        return Err(super::limits::too_many_sheets(limits.max_sheets));
    }
    for name in names {
        budget.table()?;
        let range = std::panic::catch_unwind(AssertUnwindSafe(|| wb.worksheet_range(&name)))
            .map_err(|_| corrupt())?
            .map_err(|_| corrupt())?;
        visit_range(&range, &label(prefix, &name), budget, visitor)?;
    }
    Ok(())
}

/// A well-formed compound file (version 3, as Excel writes) holding `stream` as its Workbook stream,
/// padded past the 4 KiB mini-stream cutoff with empty records.
fn rebuild(mut stream: Vec<u8>) -> Result<Vec<u8>, CheckError> {
    if stream.len() < 4096 {
        stream.resize(4096, 0);
    }
    let build = || -> std::io::Result<Vec<u8>> {
        let mut cfb =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))?;
        {
            let mut s = cfb.create_stream("/Workbook")?;
            s.write_all(&stream)?;
        }
        cfb.flush()?;
        Ok(cfb.into_inner().into_inner())
    };
    build().map_err(CheckError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `xls` fuzz target: a BOUNDSHEET pointing past the end of the Workbook stream made
    /// calamine 0.38 slice out of bounds (xls.rs:633) and panic.
    #[test]
    fn sheet_offset_past_the_stream_is_refused() {
        let mut stream = Vec::new();
        let rec = |out: &mut Vec<u8>, typ: u16, data: &[u8]| {
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
        };
        rec(
            &mut stream,
            0x0809,
            &[0, 6, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        rec(&mut stream, 0x0085, &[0x30, 0, 1, 0, 0, 0, 1, 0, b'S']);
        rec(&mut stream, 0x000A, &[]);
        let e = check_records(&stream[..], &ArchiveLimits::default()).unwrap_err();
        assert!(matches!(e, CheckError::Unreadable { .. }), "{e:?}");
        // The same fault in a whole file, built in code.
        let crash = passerelle_tests::hostile::xls_sheet_offset_past_end();
        let mut c = Budget::new(&ArchiveLimits::default());
        let mut v = NoTables;
        let r = visit_xls(
            Cursor::new(crash),
            &ArchiveLimits::default(),
            &mut c,
            None,
            &mut v,
        );
        assert!(r.is_err(), "{r:?}");
    }

    struct NoTables;

    impl TableVisitor for NoTables {
        fn begin(
            &mut self,
            _: Option<&str>,
            _: u64,
            _: crate::checks::table::Cells<'_>,
        ) -> Result<(), CheckError> {
            Ok(())
        }
        fn row(&mut self, _: u64, _: crate::checks::table::Cells<'_>) -> Result<(), CheckError> {
            Ok(())
        }
        fn end(&mut self) -> Result<(), CheckError> {
            Ok(())
        }
        fn unreadable(&mut self, _: Option<&str>, _: &CheckError) -> Result<(), CheckError> {
            Ok(())
        }
    }

    /// Found by the `xls` fuzz target: a damaged compound file whose Workbook stream, as calamine's own
    /// parser reads it, holds a DIMENSIONS record the `cfb` crate does not see; calamine reserved
    /// 320 GB for it. Then a BOUNDSHEET past the stream's end, CodePage and BOF records too short for
    /// the u16 calamine reads from them, and a short Lbl record (panics in calamine). The fuzzer's inputs, kept in
    /// fuzz/regressions.
    #[test]
    fn dimensions_seen_only_by_calamine_are_never_reached() {
        let crash =
            include_bytes!("../../../fuzz/regressions/xls_dimensions_behind_calamine_cfb.xls");
        let mut budget = Budget::new(&ArchiveLimits::default());
        let _ = visit_xls(
            Cursor::new(&crash[..]),
            &ArchiveLimits::default(),
            &mut budget,
            None,
            &mut NoTables,
        );
        for crash in [
            &include_bytes!("../../../fuzz/regressions/xls_sheet_offset_past_end.xls")[..],
            &include_bytes!("../../../fuzz/regressions/xls_short_codepage_record.xls")[..],
            &include_bytes!("../../../fuzz/regressions/xls_short_bof_record.xls")[..],
            &include_bytes!("../../../fuzz/regressions/xls_short_lbl_record.xls")[..],
            // Found by a 4-minute run after the others were fixed: calamine's `read_u16` on a
            // record too short (utils.rs:48), contained by the `catch_unwind` around calamine.
            &include_bytes!("../../../fuzz/regressions/xls_short_record_utils48.xls")[..],
        ] {
            let r = visit_xls(
                Cursor::new(crash),
                &ArchiveLimits::default(),
                &mut budget,
                None,
                &mut NoTables,
            );
            assert!(r.is_err(), "{r:?}");
        }
    }

    /// Found by CI's 20-second run of the `xls` fuzz target: a MergeCells record shorter than the
    /// ranges its count announces made calamine 0.38 slice out of bounds (utils.rs:48 from
    /// `parse_merge_cells`). It is refused before calamine sees it.
    #[test]
    fn merge_cells_shorter_than_their_count_are_refused() {
        let record = |len: u16, body: &[u8]| {
            let mut r = vec![0xE5, 0x00];
            r.extend_from_slice(&len.to_le_bytes());
            r.extend_from_slice(body);
            r
        };
        let limits = ArchiveLimits::default();
        for bad in [
            record(0, &[]),
            record(1, &[1]),
            record(2, &[1, 0]),
            record(9, &[2, 0, 0, 0, 0, 0, 0, 0, 0]),
        ] {
            assert!(matches!(
                check_records(&bad[..], &limits),
                Err(CheckError::Unreadable { .. })
            ));
        }
        let mut good = 1u16.to_le_bytes().to_vec();
        good.extend_from_slice(&[0, 0, 1, 0, 0, 0, 2, 0]);
        assert!(check_records(&record(10, &good)[..], &limits).is_ok());
        assert!(check_records(&record(2, &[0, 0])[..], &limits).is_ok());
    }

    #[test]
    fn dimensions_are_read_as_calamine_reads_them() {
        let mut d = Vec::new();
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&4_000_000_000u32.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&200u16.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(declared_cells(&d).unwrap(), 800_000_000_000);
        // First row past the last: calamine's subtraction would overflow.
        d[..4].copy_from_slice(&5_000_000_000u64.to_le_bytes()[..4]);
        let mut e = d.clone();
        e[..4].copy_from_slice(&4_000_000_001u32.to_le_bytes());
        assert!(declared_cells(&e).is_err());
    }
}

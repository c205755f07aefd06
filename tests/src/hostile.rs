//! Generators of hostile (and of large honest) files for the content checks (issue 11).
//!
//! Every file is built in code: nothing is committed. Small files are returned as bytes; the large
//! ones are written to a `Write` (streaming, so that a test never holds them in memory) or given as a
//! `Read + Seek` source that produces its bytes on the fly.
//!
//! What each hostile file did to the gateway before issue 11 is said on its generator; the readers of
//! `gateway::checks` must now refuse or report each of them without exhausting memory or CPU.

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The columns of an OPS transmission frame, as in `shared/fixtures/ops_habitat_henin.csv`.
pub const OPS_COLUMNS: [&str; 24] = [
    "bailleur",
    "id_logement_bailleur",
    "id_logement_rpls",
    "numero_programme",
    "nom_programme",
    "commune",
    "code_insee",
    "quartier",
    "type_logement",
    "typologie",
    "financement",
    "occupation",
    "repondu_enquete",
    "situation_familiale",
    "nb_occupants",
    "nb_enfants",
    "age_titulaire_bail",
    "ages_occupants",
    "activite_majeurs",
    "revenu_fiscal_reference",
    "position_plafonds_hlm",
    "beneficiaire_apl",
    "beneficiaire_aspa",
    "emmenage_recent",
];

/// The cells of OPS row `i` (0-based), deterministic, with accents, no direct identifier.
pub fn ops_row(i: u64) -> [String; 24] {
    let communes = [
        "Hénin-Beaumont",
        "Courrières",
        "Oignies",
        "Carvin",
        "Liévin",
    ];
    let quartiers = ["Les Hauts", "Quartier des Fleurs", "Centre", "Gare"];
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
    let occupants = 1 + h % 6;
    [
        "Habitat Hénin".to_owned(),
        format!("HAB-{}", 100_000 + i),
        format!("{}", 10_000_000_000 + (h % 89_999_999_999)),
        format!("P{}", 100 + h % 400),
        "Résidence Centre".to_owned(),
        communes[(h % 5) as usize].to_owned(),
        format!("{}", 62_000 + h % 900),
        quartiers[(h % 4) as usize].to_owned(),
        if h.is_multiple_of(3) {
            "individuel"
        } else {
            "collectif"
        }
        .to_owned(),
        format!("T{}", 1 + h % 5),
        ["PLAI", "PLUS", "PLS", "PLI"][(h % 4) as usize].to_owned(),
        "loué".to_owned(),
        if h.is_multiple_of(2) { "oui" } else { "non" }.to_owned(),
        "personne seule".to_owned(),
        format!("{occupants}"),
        format!("{}", h % 3),
        format!("{}", 20 + h % 70),
        format!("{}", 20 + h % 70),
        "emploi stable".to_owned(),
        format!("{}", 5_000 + h % 40_000),
        ">100%".to_owned(),
        "non".to_owned(),
        "non".to_owned(),
        if h.is_multiple_of(7) { "oui" } else { "non" }.to_owned(),
    ]
}

/// Writes an OPS CSV file of `rows` dwellings (`;`-separated), in UTF-8 or, with `cp1252`, in
/// Windows-1252 (only characters of Latin-1 are used, so each is one byte).
pub fn write_ops_csv<W: Write>(mut out: W, rows: u64, cp1252: bool) -> io::Result<()> {
    let mut line = OPS_COLUMNS.join(";");
    line.push('\n');
    let emit = |s: &str, out: &mut W| -> io::Result<()> {
        if cp1252 {
            let bytes: Vec<u8> = s.chars().map(|c| u32::from(c).min(255) as u8).collect();
            out.write_all(&bytes)
        } else {
            out.write_all(s.as_bytes())
        }
    };
    emit(&line, &mut out)?;
    for i in 0..rows {
        line.clear();
        line.push_str(&ops_row(i).join(";"));
        line.push('\n');
        emit(&line, &mut out)?;
    }
    out.flush()
}

/// Writes an OPS xlsx workbook of `rows` dwellings as Excel does: numbers as numeric cells, text as
/// shared strings (each distinct text once in sharedStrings.xml, as Excel writes it). Streaming: only
/// the distinct strings are held while writing.
pub fn write_ops_xlsx<W: Write + Seek>(out: W, rows: u64) -> io::Result<()> {
    let mut z = ZipWriter::new(out);
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, text) in xlsx_parts(1, true) {
        z.start_file(name, opts)?;
        z.write_all(text.as_bytes())?;
    }
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut shared = |s: &str| -> usize {
        if let Some(i) = index.get(s) {
            return *i;
        }
        order.push(s.to_owned());
        index.insert(s.to_owned(), order.len() - 1);
        order.len() - 1
    };
    z.start_file(
        "xl/worksheets/sheet1.xml",
        opts.large_file(rows > 4_000_000),
    )?;
    z.write_all(SHEET_HEAD.as_bytes())?;
    let mut buf = String::with_capacity(4096);
    buf.push_str(r#"<row r="1">"#);
    for h in OPS_COLUMNS {
        buf.push_str(&format!(r#"<c t="s"><v>{}</v></c>"#, shared(h)));
    }
    buf.push_str("</row>");
    z.write_all(buf.as_bytes())?;
    for i in 0..rows {
        buf.clear();
        buf.push_str(&format!(r#"<row r="{}">"#, i + 2));
        for (c, v) in ops_row(i).iter().enumerate() {
            let col = (b'A' + (c % 26) as u8) as char;
            match v.parse::<f64>() {
                Ok(_) => buf.push_str(&format!(r#"<c r="{col}{}"><v>{v}</v></c>"#, i + 2)),
                Err(_) => buf.push_str(&format!(
                    r#"<c r="{col}{}" t="s"><v>{}</v></c>"#,
                    i + 2,
                    shared(v)
                )),
            }
        }
        buf.push_str("</row>");
        z.write_all(buf.as_bytes())?;
    }
    z.write_all(SHEET_TAIL.as_bytes())?;
    z.start_file("xl/sharedStrings.xml", opts)?;
    z.write_all(format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">"#, order.len()).as_bytes())?;
    for s in &order {
        z.write_all(format!("<si><t>{}</t></si>", escape(s)).as_bytes())?;
    }
    z.write_all(b"</sst>")?;
    z.finish()?;
    Ok(())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const ODS_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#;
const ODS_TAIL: &str = "</office:spreadsheet></office:body></office:document-content>";

/// Starts an ods archive (mimetype stored first, manifest) and opens its `content.xml` entry.
fn ods_start<W: Write + Seek>(out: W) -> io::Result<ZipWriter<W>> {
    let mut z = ZipWriter::new(out);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    z.start_file("mimetype", stored)?;
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")?;
    z.start_file("META-INF/manifest.xml", deflated)?;
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#)?;
    z.start_file("content.xml", deflated)?;
    z.write_all(ODS_HEAD.as_bytes())?;
    Ok(z)
}

/// Writes an OPS ods spreadsheet of `rows` dwellings, `content.xml` written by hand as LibreOffice
/// writes it (numbers as `float` cells, text in `<text:p>`, trailing empty rows repeated).
pub fn write_ops_ods<W: Write + Seek>(out: W, rows: u64) -> io::Result<()> {
    let mut z = ods_start(out)?;
    let mut buf = String::with_capacity(4096);
    buf.push_str(r#"<table:table table:name="OPS"><table:table-column table:number-columns-repeated="24"/><table:table-row>"#);
    for h in OPS_COLUMNS {
        buf.push_str(&format!(
            r#"<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>"#
        ));
    }
    buf.push_str("</table:table-row>");
    z.write_all(buf.as_bytes())?;
    for i in 0..rows {
        buf.clear();
        buf.push_str("<table:table-row>");
        for v in ops_row(i) {
            match v.parse::<f64>() {
                Ok(_) => buf.push_str(&format!(
                    r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#
                )),
                Err(_) => buf.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    escape(&v)
                )),
            }
        }
        buf.push_str("</table:table-row>");
        z.write_all(buf.as_bytes())?;
    }
    z.write_all(br#"<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#)?;
    z.write_all(ODS_TAIL.as_bytes())?;
    z.finish()?;
    Ok(())
}

/// An ods whose `<office:spreadsheet>` holds `tables` (the XML of its `<table:table>` elements).
pub fn ods_with_tables(tables: &str) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let build = |out: &mut Cursor<Vec<u8>>| -> io::Result<()> {
        let mut z = ods_start(out)?;
        z.write_all(tables.as_bytes())?;
        z.write_all(ODS_TAIL.as_bytes())?;
        z.finish()?;
        Ok(())
    };
    let _ = build(&mut out);
    out.into_inner()
}

/// An ods of under 1 KB whose one row of one number repeated 16,384 times across is repeated 6,000
/// times down: 98 million non-empty cells, just under calamine 0.38's own cap of 100 million. Before
/// issue 11 (calamine expands repeated cells) such a file took the gateway to 5.5 GiB; the readers
/// must refuse it from the cell budget, before producing any of them.
pub fn ods_repeated_cells() -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let body = r#"<table:table table:name="Feuille1"><table:table-row><table:table-cell office:value-type="string"><text:p>nb_menages</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row></table:table>"#;
    let build = |out: &mut Cursor<Vec<u8>>| -> io::Result<()> {
        let mut z = ods_start(out)?;
        z.write_all(body.as_bytes())?;
        z.write_all(ODS_TAIL.as_bytes())?;
        z.finish()?;
        Ok(())
    };
    // Writing to a Vec cannot fail.
    let _ = build(&mut out);
    out.into_inner()
}

/// The parts of a minimal xlsx workbook: one sheet per `sheets` entry (its `<sheetData>` content),
/// and `shared` as the whole sharedStrings.xml when given.
fn xlsx_parts(sheets: usize, shared: bool) -> Vec<(String, String)> {
    let mut overrides = String::new();
    let mut sheet_list = String::new();
    let mut rels = String::new();
    for i in 1..=sheets {
        overrides.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        sheet_list.push_str(&format!(
            r#"<sheet name="Feuil{i}" sheetId="{i}" r:id="rId{i}"/>"#
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#));
    }
    if shared {
        overrides.push_str(r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#);
        rels.push_str(r#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
    }
    vec![
        ("[Content_Types].xml".to_owned(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#)),
        ("_rels/.rels".to_owned(), r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml".to_owned(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheet_list}</sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels".to_owned(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#)),
    ]
}

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// An xlsx of about 1.9 KB whose `<sst uniqueCount="1000000000000">` made calamine reserve terabytes
/// for its shared strings: the allocation failed and the whole gateway process aborted.
pub fn xlsx_huge_shared_string_count() -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let build = |z: &mut ZipWriter<Cursor<Vec<u8>>>| -> io::Result<()> {
        for (name, text) in xlsx_parts(1, true) {
            z.start_file(name, opts)?;
            z.write_all(text.as_bytes())?;
        }
        z.start_file("xl/worksheets/sheet1.xml", opts)?;
        z.write_all(SHEET_HEAD.as_bytes())?;
        z.write_all(br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#)?;
        z.write_all(SHEET_TAIL.as_bytes())?;
        z.start_file("xl/sharedStrings.xml", opts)?;
        z.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1000000000000" uniqueCount="1000000000000"><si><t>nb_menages</t></si></sst>"#)?;
        Ok(())
    };
    let _ = build(&mut z);
    z.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// An xlsx whose sharedStrings.xml holds `count` distinct strings of `len` pseudo-random letters
/// (`count × len` bytes of text; about 7 MB compressed for 256 × 32,000, which took the gateway to
/// 3.1 GiB before issue 11). The readers must refuse text beyond their shared-strings bound.
pub fn xlsx_big_shared_strings(count: usize, len: usize) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let build = |z: &mut ZipWriter<Cursor<Vec<u8>>>| -> io::Result<()> {
        for (name, text) in xlsx_parts(1, true) {
            z.start_file(name, opts)?;
            z.write_all(text.as_bytes())?;
        }
        z.start_file("xl/worksheets/sheet1.xml", opts)?;
        z.write_all(SHEET_HEAD.as_bytes())?;
        for r in 0..count.min(1000) {
            z.write_all(format!(r#"<row r="{}"><c t="s"><v>{r}</v></c></row>"#, r + 1).as_bytes())?;
        }
        z.write_all(SHEET_TAIL.as_bytes())?;
        z.start_file("xl/sharedStrings.xml", opts)?;
        z.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#)?;
        let mut seed = 0x1234_5678_u64;
        let mut s = Vec::with_capacity(len);
        for _ in 0..count {
            s.clear();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(b'a' + (seed % 26) as u8);
            }
            z.write_all(b"<si><t>")?;
            z.write_all(&s)?;
            z.write_all(b"</t></si>")?;
        }
        z.write_all(b"</sst>")?;
        Ok(())
    };
    let _ = build(&mut z);
    z.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// Writes an xlsx of `sheets` sheets of about `sheet_bytes` bytes of XML each (numbers; 1,000 sheets
/// of 1 MiB cost 20 s of CPU before issue 11). The readers must refuse it from their sheet bound.
pub fn write_xlsx_many_sheets<W: Write + Seek>(
    out: W,
    sheets: usize,
    sheet_bytes: usize,
) -> io::Result<()> {
    let mut z = ZipWriter::new(out);
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, text) in xlsx_parts(sheets, false) {
        z.start_file(name, opts)?;
        z.write_all(text.as_bytes())?;
    }
    for i in 1..=sheets {
        z.start_file(format!("xl/worksheets/sheet{i}.xml"), opts)?;
        z.write_all(SHEET_HEAD.as_bytes())?;
        let mut written = 0usize;
        let mut r = 1u64;
        while written < sheet_bytes {
            let row = format!(
                r#"<row r="{r}"><c><v>{}</v></c><c><v>{}</v></c><c><v>{}</v></c></row>"#,
                r * 7 % 1000,
                r * 13 % 997,
                r
            );
            z.write_all(row.as_bytes())?;
            written += row.len();
            r += 1;
        }
        z.write_all(SHEET_TAIL.as_bytes())?;
    }
    z.finish()?;
    Ok(())
}

/// Writes a zip deposit holding `inner.xlsx`, an honest xlsx whose sheet takes about `xlsx_bytes`
/// (stored, so the inner file really is that large; a 1 GB one took the gateway to 930 MiB before
/// issue 11, read whole into memory). Written streaming: memory stays flat whatever the size.
pub fn write_zip_with_large_xlsx<W: Write + Seek>(out: W, xlsx_bytes: u64) -> io::Result<()> {
    let mut outer = ZipWriter::new(out);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(xlsx_bytes > (1 << 31));
    outer.start_file("inner.xlsx", stored)?;
    {
        let mut inner = ZipWriter::new_stream(&mut outer);
        for (name, text) in xlsx_parts(1, false) {
            inner.start_file(name, stored)?;
            inner.write_all(text.as_bytes())?;
        }
        inner.start_file(
            "xl/worksheets/sheet1.xml",
            stored.large_file(xlsx_bytes > (1 << 31)),
        )?;
        inner.write_all(SHEET_HEAD.as_bytes())?;
        inner.write_all(br#"<row r="1"><c t="inlineStr"><is><t>nb_menages</t></is></c></row>"#)?;
        let mut written = 0u64;
        let mut r = 2u64;
        while written < xlsx_bytes {
            let row = format!(r#"<row r="{r}"><c><v>{}</v></c></row>"#, 11 + r % 1000);
            inner.write_all(row.as_bytes())?;
            written += row.len() as u64;
            r += 1;
        }
        inner.write_all(SHEET_TAIL.as_bytes())?;
        inner.finish()?;
    }
    outer.finish()?;
    Ok(())
}

/// A CSV made of a header and one line of `len` bytes (no line break: one 500 MB line took the gateway
/// to 534 MiB before issue 11), produced on the fly: `Read + Seek`, nothing held in memory.
pub struct LongLineCsv {
    len: u64,
    pos: u64,
}

const LONG_LINE_HEAD: &[u8] = b"commune;nb_menages\n";

impl LongLineCsv {
    /// A CSV whose second line is `len` bytes long.
    pub fn new(len: u64) -> Self {
        Self { len, pos: 0 }
    }

    /// Its total size in bytes.
    pub fn total_len(&self) -> u64 {
        LONG_LINE_HEAD.len() as u64 + self.len
    }
}

impl Read for LongLineCsv {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let head = LONG_LINE_HEAD.len() as u64;
        let left = self.total_len().saturating_sub(self.pos);
        let n = out.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        for (i, b) in out[..n].iter_mut().enumerate() {
            let p = self.pos + i as u64;
            *b = if p < head {
                LONG_LINE_HEAD[p as usize]
            } else {
                b'a' + (p % 26) as u8
            };
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for LongLineCsv {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let total = self.total_len() as i128;
        let target = match to {
            SeekFrom::Start(p) => i128::from(p),
            SeekFrom::End(d) => total + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        self.pos = u64::try_from(target.max(0)).map_err(io::Error::other)?;
        Ok(self.pos)
    }
}

/// A results "PDF" holding a count of 3 (`nb_menages 3`): before issue 11 the disclosure check skipped
/// PDFs and such a result was released with 200; it must now be refused as unreadable.
pub fn pdf_with_small_count() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% commune Carvin ; nb_menages 3\n%%EOF\n"
        .to_vec()
}

/// A zip of `entries` (name, bytes), deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        if z.start_file(*name, opts).is_err() || z.write_all(data).is_err() {
            return Vec::new();
        }
    }
    z.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// A zip holding a clean results CSV and [`pdf_with_small_count`] as `annexe.pdf`: before issue 11 the
/// PDF entry was skipped and the zip released; it must be reported as unreadable.
pub fn zip_with_pdf() -> Vec<u8> {
    zip_of(&[
        ("resultats.csv", b"commune;nb_menages\nCarvin;120\n"),
        ("annexe.pdf", &pdf_with_small_count()),
    ])
}

/// A zip holding a zip holding a CSV of direct identifiers: nested archives are read one level deep,
/// the inner zip must be reported as unreadable (not skipped).
pub fn zip_nested() -> Vec<u8> {
    let inner = zip_of(&[(
        "personnes.csv",
        b"nom;prenom;courriel\nDUPONT;Jean;jean.dupont@exemple.fr\n",
    )]);
    zip_of(&[("dedans.zip", &inner)])
}

/// A zip whose one entry is 900 KB of zeros (compressed about 1,000:1): entries under 1 MiB escaped
/// the ratio bound before issue 11; every entry is now held to it.
pub fn zip_small_bomb_entry() -> Vec<u8> {
    let zeros = vec![0u8; 900 * 1024];
    zip_of(&[("zeros.csv", &zeros)])
}

/// The records of a BIFF8 Workbook stream: globals (BOF, one BOUNDSHEET, EOF) then one sheet (BOF,
/// DIMENSIONS declaring `declared_rows` rows × 2 columns, one NUMBER per value of `numbers`, EOF).
fn biff8_workbook(declared_rows: u32, numbers: &[(u16, u16, f64)]) -> Vec<u8> {
    fn rec(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
    let bof = |dt: u16| {
        let mut d = Vec::new();
        d.extend_from_slice(&0x0600u16.to_le_bytes());
        d.extend_from_slice(&dt.to_le_bytes());
        d.extend_from_slice(&0x0DBBu16.to_le_bytes());
        d.extend_from_slice(&0x07CCu16.to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&0x06u32.to_le_bytes());
        d
    };
    let mut globals = Vec::new();
    rec(&mut globals, 0x0809, &bof(0x0005));
    rec(&mut globals, 0x0042, &1200u16.to_le_bytes());
    let name = b"Feuil1";
    let boundsheet_len = 4 + 4 + 2 + 2 + name.len();
    let sheet_offset = (globals.len() + boundsheet_len + 4) as u32;
    let mut bs = Vec::new();
    bs.extend_from_slice(&sheet_offset.to_le_bytes());
    bs.extend_from_slice(&[0, 0]);
    bs.push(name.len() as u8);
    bs.push(0);
    bs.extend_from_slice(name);
    rec(&mut globals, 0x0085, &bs);
    rec(&mut globals, 0x000A, &[]);
    let mut sheet = Vec::new();
    rec(&mut sheet, 0x0809, &bof(0x0010));
    let mut dim = Vec::new();
    dim.extend_from_slice(&0u32.to_le_bytes());
    dim.extend_from_slice(&declared_rows.to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    dim.extend_from_slice(&2u16.to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    rec(&mut sheet, 0x0200, &dim);
    for (r, c, v) in numbers {
        let mut d = Vec::new();
        d.extend_from_slice(&r.to_le_bytes());
        d.extend_from_slice(&c.to_le_bytes());
        d.extend_from_slice(&15u16.to_le_bytes());
        d.extend_from_slice(&v.to_le_bytes());
        rec(&mut sheet, 0x0203, &d);
    }
    rec(&mut sheet, 0x000A, &[]);
    globals.extend_from_slice(&sheet);
    globals
}

/// An xls file (OLE compound file holding a BIFF8 Workbook stream) with the given numeric cells
/// (row, column, value) and a DIMENSIONS record declaring `declared_rows` rows.
pub fn xls(declared_rows: u32, numbers: &[(u16, u16, f64)]) -> Vec<u8> {
    xls_of_stream(biff8_workbook(declared_rows, numbers))
}

/// An xls whose BOUNDSHEET record says the sheet starts 64 KiB past the end of the Workbook stream
/// (found by the `xls` fuzz target: calamine 0.38 sliced the stream there and panicked).
pub fn xls_sheet_offset_past_end() -> Vec<u8> {
    let mut stream = biff8_workbook(2, &[(0, 0, 1.0)]);
    // BOF (4 + 16 bytes), CODEPAGE (4 + 2), then the BOUNDSHEET header (4): its lbPlyPos.
    stream[30..34].copy_from_slice(&0x0001_0030u32.to_le_bytes());
    xls_of_stream(stream)
}

/// An OLE compound file (version 3, as Excel writes) holding `stream` as its Workbook stream.
fn xls_of_stream(stream: Vec<u8>) -> Vec<u8> {
    let build = || -> io::Result<Vec<u8>> {
        let mut cfb =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))?;
        {
            let mut s = cfb.create_stream("/Workbook")?;
            s.write_all(&stream)?;
            // Keep the stream above the 4 KiB mini-stream cutoff, as Excel does.
            s.write_all(&vec![0u8; 4096usize.saturating_sub(stream.len())])?;
        }
        cfb.flush()?;
        Ok(cfb.into_inner().into_inner())
    };
    build().unwrap_or_default()
}

/// An xls of a few KB whose DIMENSIONS record declares 4 billion rows: calamine reserved terabytes and
/// the whole gateway process aborted before issue 11.
pub fn xls_huge_dimensions() -> Vec<u8> {
    xls(4_000_000_000, &[(0, 0, 1.0), (1, 0, 3.0)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_hostile_files_are_small() {
        assert!(xlsx_huge_shared_string_count().len() < 4096);
        assert!(ods_repeated_cells().len() < 4096);
        assert!(xls_huge_dimensions().len() < 16 * 1024);
        let mut long = LongLineCsv::new(10);
        let mut s = String::new();
        long.read_to_string(&mut s).unwrap();
        assert_eq!(s.len(), 29);
        assert!(s.starts_with("commune;nb_menages\n"));
        assert!(!s[19..].contains('\n'));
    }
}

//! Statistical disclosure control on results tables (the INSEE rules written into OPS conventions).
//!
//! # Which columns are checked
//!
//! Each header is normalised (lowercase, accents stripped, spaces, `-`, `.`, `'` and `/` turned into
//! `_`, repeated `_` collapsed, leading and trailing `_` dropped) and matched against globs (`*` = any
//! run of characters, the whole header must match; patterns are normalised the same way). The first
//! family that matches wins, in this order:
//! 1. response rate (`taux_reponse*`, `taux_de_reponse*`): a value under `min_response_rate` (60) is a
//!    [`Rule::LowResponseRate`];
//! 2. share (`part_*`, `pct*`, `taux*`, `*%*` — any header containing `%`): a value of exactly 0 or 100
//!    is a [`Rule::ExtremeShare`];
//! 3. count (`nb_*`, `nombre*`, `effectif*`, `n`, `count*`): a value from 1 to `min_count` − 1 (1 to 10)
//!    is a [`Rule::MinCount`].
//!
//! Values are read as French or English numbers (`1 234,5`, `12,5 %`, `12.5`); a cell that is not a
//! number is not judged by these three rules.
//!
//! # Recomputable cells ([`Rule::RecomputableCell`])
//!
//! * A *total row* is a row whose first non-empty cell that is not a number starts with the word
//!   `total`, `totaux`, `sous-total`, `ensemble`, `tous` or `somme` (any case, accents ignored). A
//!   *block* is the run of rows since the header or the previous total row. A sub-heading (a row with
//!   at most one non-blank cell and all its count cells blank) is not part of any block.
//! * For each count column: when a total row carries a number in that column and exactly one cell of
//!   that column in the block above is *suppressed* (blank, `s`, `*`, `nd`, `n.d.`, `secret`, any
//!   case), that cell is flagged: it equals the total minus the others.
//! * A *total column* is a column whose header starts with one of the same words. In any row where the
//!   (first) total column carries a number and exactly one of the other count cells is suppressed,
//!   that cell is flagged.
//!
//! A cell is flagged once even when both directions give it back.
//!
//! # Row labels
//!
//! Each violation carries the row's *labels*: the cells of its first [`MAX_LABELS`] columns that
//! are none of the three families above (nor the total column), e.g. `commune` and `quartier`,
//! each cut to [`MAX_LABEL_CHARS`] characters, blank ones left out. They let a person find the row
//! by what it describes rather than by its number.

use super::table::{column_label, Cells, TableVisitor};
use super::text::{is_suppressed, is_total_label, matches_any, normalize_header, parse_number};
use super::{ArchiveLimits, CheckError};

/// The rules of the disclosure check. Patterns are globs on the normalised header (see the module
/// documentation); response-rate patterns take precedence over share patterns, which take precedence
/// over count patterns.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosureRules {
    /// Smallest count that may be published (default 11): counts from 1 to `min_count − 1` fail.
    pub min_count: u32,
    /// Headers of count columns (default `nb_*`, `nombre*`, `effectif*`, `n`, `count*`).
    pub count_patterns: Vec<String>,
    /// Headers of share columns (default `part_*`, `pct*`, `taux*`, `*%*`).
    pub share_patterns: Vec<String>,
    /// Headers of response-rate columns (default `taux_reponse*`, `taux_de_reponse*`).
    pub response_rate_patterns: Vec<String>,
    /// Lowest response rate that may be published, in percent (default 60).
    pub min_response_rate: f64,
    /// At most this many violations are collected (default 1,000); the check still fails, the list is
    /// just not longer.
    pub max_violations: usize,
    /// Bounds on xlsx, ods and zip archives.
    pub limits: ArchiveLimits,
}

impl Default for DisclosureRules {
    fn default() -> Self {
        let v = |s: &[&str]| s.iter().map(|p| (*p).to_owned()).collect();
        Self {
            min_count: 11,
            count_patterns: v(&["nb_*", "nombre*", "effectif*", "n", "count*"]),
            share_patterns: v(&["part_*", "pct*", "taux*", "*%*"]),
            response_rate_patterns: v(&["taux_reponse*", "taux_de_reponse*"]),
            min_response_rate: 60.0,
            max_violations: 1_000,
            limits: ArchiveLimits::default(),
        }
    }
}

pub use crate::domain::Rule;

/// At most this many label columns name a row (bounds each violation's size).
pub(super) const MAX_LABELS: usize = 3;
/// A label longer than this is cut (with `…`).
pub(super) const MAX_LABEL_CHARS: usize = 60;

/// One cell that may not be released.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The sheet name (`None` for a CSV file; `inner.xlsx › Sheet1` or `inner/path.csv` in a zip).
    pub sheet: Option<String>,
    /// 1-based row number as a spreadsheet shows it (the header of a CSV file is row 1).
    pub row: u64,
    /// The column's header as written (`colonne C` when the header is blank).
    pub column: String,
    /// The cell as written; a numeric spreadsheet cell as its number in text.
    pub value: String,
    /// The rule broken.
    pub rule: Rule,
    /// The row's labels (see the module documentation): at most [`MAX_LABELS`], each at most
    /// [`MAX_LABEL_CHARS`] characters.
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    Other,
    Count,
    Share,
    ResponseRate,
}

/// Per count column: suppressed cells seen in the current block.
#[derive(Default, Clone)]
struct Block {
    suppressed: u32,
    first: Option<(u64, String, Vec<String>)>,
}

struct Table {
    sheet: Option<String>,
    columns: Vec<String>,
    kinds: Vec<ColumnKind>,
    total_column: Option<usize>,
    /// The columns whose cells name a row (at most [`MAX_LABELS`]).
    label_columns: Vec<usize>,
    blocks: Vec<Block>,
    /// Violations of this table with their column index, sorted at the end.
    found: Vec<(u64, usize, Violation)>,
}

/// Walks tables and collects violations.
pub(crate) struct DisclosureChecker<'r> {
    rules: &'r DisclosureRules,
    count: Vec<String>,
    share: Vec<String>,
    rate: Vec<String>,
    table: Option<Table>,
    collected: usize,
    /// The violations found, in file order.
    pub(crate) violations: Vec<Violation>,
}

impl<'r> DisclosureChecker<'r> {
    /// A checker applying `rules`.
    pub(crate) fn new(rules: &'r DisclosureRules) -> Self {
        let norm = |v: &[String]| v.iter().map(|p| normalize_pattern(p)).collect();
        Self {
            rules,
            count: norm(&rules.count_patterns),
            share: norm(&rules.share_patterns),
            rate: norm(&rules.response_rate_patterns),
            table: None,
            collected: 0,
            violations: Vec::new(),
        }
    }

    fn classify(&self, header: &str) -> ColumnKind {
        let h = normalize_header(header);
        if h.is_empty() {
            ColumnKind::Other
        } else if matches_any(&self.rate, &h) {
            ColumnKind::ResponseRate
        } else if matches_any(&self.share, &h) {
            ColumnKind::Share
        } else if matches_any(&self.count, &h) {
            ColumnKind::Count
        } else {
            ColumnKind::Other
        }
    }
}

/// Normalises a pattern like a header, keeping its `*`.
fn normalize_pattern(p: &str) -> String {
    p.split('*')
        .map(normalize_header)
        .collect::<Vec<_>>()
        .join("*")
}

/// A label cell as kept: trimmed, cut to [`MAX_LABEL_CHARS`] characters.
fn label_of(cell: &str) -> String {
    let cell = cell.trim();
    match cell.char_indices().nth(MAX_LABEL_CHARS) {
        Some((cut, _)) => format!("{}…", &cell[..cut]),
        None => cell.to_owned(),
    }
}

impl Table {
    /// The labels of a row: its non-blank label cells.
    fn labels(&self, cells: &Cells<'_>) -> Vec<String> {
        self.label_columns
            .iter()
            .map(|&c| label_of(cells.get(c)))
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn push(
        &mut self,
        (row, col): (u64, usize),
        value: &str,
        rule: Rule,
        labels: &[String],
        budget: &mut usize,
        max: usize,
    ) {
        if *budget >= max {
            return;
        }
        if rule == Rule::RecomputableCell
            && self
                .found
                .iter()
                .any(|(r, c, v)| *r == row && *c == col && v.rule == rule)
        {
            return;
        }
        *budget += 1;
        self.found.push((
            row,
            col,
            Violation {
                sheet: self.sheet.clone(),
                row,
                column: self.columns[col].clone(),
                value: value.to_owned(),
                rule,
                labels: labels.to_vec(),
            },
        ));
    }
}

impl TableVisitor for DisclosureChecker<'_> {
    fn begin(
        &mut self,
        sheet: Option<&str>,
        _header_row: u64,
        header: Cells<'_>,
    ) -> Result<(), CheckError> {
        let n = header.len();
        let kinds: Vec<ColumnKind> = (0..n).map(|i| self.classify(header.get(i))).collect();
        let total_column = (0..n).find(|&i| is_total_label(header.get(i)));
        let label_columns = (0..n)
            .filter(|&i| kinds[i] == ColumnKind::Other && Some(i) != total_column)
            .take(MAX_LABELS)
            .collect();
        self.table = Some(Table {
            sheet: sheet.map(str::to_owned),
            columns: (0..n).map(|i| column_label(header.get(i), i)).collect(),
            kinds,
            total_column,
            label_columns,
            blocks: vec![Block::default(); n],
            found: Vec::new(),
        });
        Ok(())
    }

    fn row(&mut self, row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
        let Some(t) = self.table.as_mut() else {
            return Ok(());
        };
        let max = self.rules.max_violations;
        let min_count = f64::from(self.rules.min_count);
        let is_total_row = (0..cells.len())
            .map(|i| cells.get(i).trim())
            .find(|c| !c.is_empty() && parse_number(c).is_none())
            .is_some_and(is_total_label);
        let labels = t.labels(&cells);
        let mut count_cells = 0usize;
        let mut blank_counts = 0usize;
        for col in 0..t.kinds.len() {
            let raw = cells.get(col);
            let kind = t.kinds[col];
            if kind == ColumnKind::Other {
                continue;
            }
            let value = parse_number(raw);
            match (kind, value) {
                (ColumnKind::Count, Some(v)) if v >= 1.0 && v < min_count => t.push(
                    (row, col),
                    raw,
                    Rule::MinCount,
                    &labels,
                    &mut self.collected,
                    max,
                ),
                (ColumnKind::Share, Some(v)) if v == 0.0 || v == 100.0 => t.push(
                    (row, col),
                    raw,
                    Rule::ExtremeShare,
                    &labels,
                    &mut self.collected,
                    max,
                ),
                (ColumnKind::ResponseRate, Some(v)) if v < self.rules.min_response_rate => t.push(
                    (row, col),
                    raw,
                    Rule::LowResponseRate,
                    &labels,
                    &mut self.collected,
                    max,
                ),
                _ => {}
            }
            if kind == ColumnKind::Count && Some(col) != t.total_column {
                count_cells += 1;
                blank_counts += usize::from(raw.trim().is_empty());
            }
        }
        // Across the row: the total column gives back a lone suppressed count.
        if let Some(tc) = t.total_column {
            if parse_number(cells.get(tc)).is_some() {
                let mut suppressed = (0..t.kinds.len()).filter(|&c| {
                    c != tc && t.kinds[c] == ColumnKind::Count && is_suppressed(cells.get(c))
                });
                if let (Some(only), None) = (suppressed.next(), suppressed.next()) {
                    t.push(
                        (row, only),
                        cells.get(only),
                        Rule::RecomputableCell,
                        &labels,
                        &mut self.collected,
                        max,
                    );
                }
            }
        }
        if is_total_row {
            // Down each column: the total row gives back a lone suppressed cell of the block above.
            for col in 0..t.kinds.len() {
                if t.kinds[col] != ColumnKind::Count {
                    continue;
                }
                let block = std::mem::take(&mut t.blocks[col]);
                if block.suppressed == 1 && parse_number(cells.get(col)).is_some() {
                    if let Some((r, v, l)) = block.first {
                        t.push(
                            (r, col),
                            &v,
                            Rule::RecomputableCell,
                            &l,
                            &mut self.collected,
                            max,
                        );
                    }
                }
            }
        } else if count_cells > 0
            && (blank_counts < count_cells
                || (0..cells.len())
                    .filter(|&i| !cells.get(i).trim().is_empty())
                    .count()
                    > 1)
        {
            for col in 0..t.kinds.len() {
                if t.kinds[col] == ColumnKind::Count && is_suppressed(cells.get(col)) {
                    let b = &mut t.blocks[col];
                    b.suppressed += 1;
                    if b.first.is_none() {
                        b.first = Some((row, cells.get(col).to_owned(), labels.clone()));
                    }
                }
            }
        }
        Ok(())
    }

    fn unreadable(&mut self, part: Option<&str>, reason: &CheckError) -> Result<(), CheckError> {
        self.end()?;
        // Never dropped by `max_violations`: an unreadable part alone must fail the check.
        self.violations.push(Violation {
            sheet: part.map(str::to_owned),
            row: 0,
            column: String::new(),
            value: reason.message_fr(),
            rule: Rule::Unreadable,
            labels: Vec::new(),
        });
        Ok(())
    }

    fn end(&mut self) -> Result<(), CheckError> {
        if let Some(mut t) = self.table.take() {
            t.found.sort_by_key(|(r, c, _)| (*r, *c));
            self.violations
                .extend(t.found.into_iter().map(|(_, _, v)| v));
        }
        Ok(())
    }
}

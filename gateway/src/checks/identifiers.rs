//! Direct identifiers in deposits: columns named like personal data, and values that are social
//! security numbers, e-mail addresses, French phone numbers or IBANs, in every column.
//!
//! # Column names
//!
//! Headers are normalised (lowercase, accents stripped, spaces, `-`, `.`, `'`, `/` → `_`), then, in
//! this order:
//! * e-mail: `mail`, `email`, `e_mail`, `courriel*`, `*_mail`, `*_email`, `adresse_mail*`,
//!   `adresse_email*`, `adresse_electronique*`;
//! * phone: `tel`, `tel_*`, `telephone*`, `*_tel`, `*_telephone`, `portable`, `mobile`, `phone*`;
//! * birth date: `date_naissance*`, `date_de_naissance*`, `ddn`, `naissance`, `birth*`, `dob`,
//!   `date_of_birth`;
//! * first name: `prenom*`, `firstname`, `first_name`, `given_name`;
//! * address: `adresse*`, `address*`, `rue`, `voie`, `libelle_voie`, `nom_voie`, `nom_rue`,
//!   `complement_adresse*`, `*_adresse` (an OPS file may hold the dwelling's address: the deposit is
//!   then held, and the depositor can confirm it with a justification);
//! * name: `nom`, `nom_*`, `*_nom`, `name`, `surname`, `lastname`, `last_name`, `full_name`,
//!   `nom_de_famille`, `nom_usage`, `nom_naissance`, except names of things listed in
//!   [`IdentifierRules::non_person_names`] (`nom_commune`, `nom_programme`, `nom_residence`…), which
//!   also cover their extensions (`nom_commune_insee`).
//!
//! A named column is reported when at least one of its cells is not blank; its count is the number of
//! non-blank cells. Values are looked for in every column (see the `detect` module); a value count is
//! the number of cells holding at least one such value. Examples are masked.

use super::detect::{mask_generic, mask_value, scan_cell, Hit, ValueKind};
use super::table::{column_label, Cells, TableVisitor};
use super::text::{glob_match, normalize_header};
use super::{ArchiveLimits, CheckError};

pub use crate::domain::FindingKind;

fn kind_of_value(kind: ValueKind) -> FindingKind {
    match kind {
        ValueKind::Nir => FindingKind::Nir,
        ValueKind::Email => FindingKind::Email,
        ValueKind::Phone => FindingKind::Phone,
        ValueKind::Iban => FindingKind::Iban,
    }
}

/// Direct identifiers of one kind in one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The sheet name (`None` for a CSV file; `inner.xlsx › Sheet1` or `inner/path.csv` in a zip).
    pub sheet: Option<String>,
    /// The column's header as written (`colonne C` when the header is blank).
    pub column: String,
    /// What was found.
    pub kind: FindingKind,
    /// How many cells: non-blank cells for a named column, cells holding such a value otherwise.
    pub count: u64,
    /// The first one, masked (`1 85 ** ** *** *** 42`, `j***@e***.fr`, `L***Y`); for
    /// [`FindingKind::Unreadable`], the reason in French (`les fichiers PDF ne peuvent pas être vérifiés`).
    pub example: String,
}

/// The rules of the identifier scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierRules {
    /// Normalised headers that look like `nom_*` / `*_nom` but name things, not persons; each also
    /// covers its extensions (`nom_commune` covers `nom_commune_insee`).
    pub non_person_names: Vec<String>,
    /// Look at column names (default true).
    pub check_column_names: bool,
    /// Look at values in every cell (default true).
    pub check_values: bool,
    /// Bounds on xlsx, ods and zip archives.
    pub limits: ArchiveLimits,
}

impl Default for IdentifierRules {
    fn default() -> Self {
        Self {
            non_person_names: [
                "nom_commune",
                "nom_programme",
                "nom_residence",
                "nom_bailleur",
                "nom_quartier",
                "nom_epci",
                "nom_operation",
                "nom_organisme",
                "nom_batiment",
                "nom_ensemble",
                "nom_groupe",
                "nom_site",
                "nom_iris",
                "nom_departement",
                "nom_region",
                "nom_ville",
                "nom_fichier",
                "nom_indicateur",
                "nom_variable",
                "nom_voie",
                "nom_rue",
                "nom_lieu_dit",
                "nom_qpv",
                "nom_cite",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            check_column_names: true,
            check_values: true,
            limits: ArchiveLimits::default(),
        }
    }
}

fn any(patterns: &[&str], h: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, h))
}

/// The kind of personal data a header announces, if any.
pub(crate) fn classify_header(header: &str, rules: &IdentifierRules) -> Option<FindingKind> {
    let h = normalize_header(header);
    if h.is_empty() {
        return None;
    }
    if any(
        &[
            "mail",
            "email",
            "e_mail",
            "courriel*",
            "*_mail",
            "*_email",
            "*_e_mail",
            "adresse_mail*",
            "adresse_email*",
            "adresse_electronique*",
        ],
        &h,
    ) {
        return Some(FindingKind::EmailColumn);
    }
    if any(
        &[
            "tel",
            "tel_*",
            "telephone*",
            "*_tel",
            "*_telephone",
            "portable",
            "mobile",
            "phone*",
        ],
        &h,
    ) {
        return Some(FindingKind::PhoneColumn);
    }
    if any(
        &[
            "date_naissance*",
            "date_de_naissance*",
            "ddn",
            "naissance",
            "birth*",
            "dob",
            "date_of_birth",
        ],
        &h,
    ) {
        return Some(FindingKind::BirthDateColumn);
    }
    if any(&["prenom*", "firstname", "first_name", "given_name"], &h) {
        return Some(FindingKind::FirstNameColumn);
    }
    if any(
        &[
            "adresse*",
            "address*",
            "rue",
            "voie",
            "libelle_voie",
            "nom_voie",
            "nom_rue",
            "complement_adresse*",
            "*_adresse",
        ],
        &h,
    ) {
        return Some(FindingKind::AddressColumn);
    }
    let thing = rules.non_person_names.iter().any(|n| {
        h == *n
            || h.strip_prefix(n.as_str())
                .is_some_and(|r| r.starts_with('_'))
    });
    if !thing
        && any(
            &[
                "nom",
                "nom_*",
                "*_nom",
                "name",
                "surname",
                "lastname",
                "last_name",
                "full_name",
                "fullname",
            ],
            &h,
        )
    {
        return Some(FindingKind::NameColumn);
    }
    None
}

/// Per column: the named kind and counters for it and for each value kind.
#[derive(Default)]
struct ColumnStats {
    named: Option<FindingKind>,
    named_count: u64,
    named_example: Option<String>,
    values: [(u64, Option<String>); 4],
}

struct Table {
    sheet: Option<String>,
    columns: Vec<String>,
    stats: Vec<ColumnStats>,
}

/// Walks tables and collects findings.
pub(crate) struct IdentifierScanner<'r> {
    rules: &'r IdentifierRules,
    table: Option<Table>,
    hits: [Option<Hit>; 4],
    /// Findings, table by table, column by column.
    pub(crate) findings: Vec<Finding>,
}

impl<'r> IdentifierScanner<'r> {
    /// A scanner applying `rules`.
    pub(crate) fn new(rules: &'r IdentifierRules) -> Self {
        Self {
            rules,
            table: None,
            hits: [None; 4],
            findings: Vec::new(),
        }
    }

    /// Which columns of the current table are named like personal data (their non-blank cells are
    /// counted whatever they hold); empty before a table begins.
    pub(crate) fn named_columns(&self) -> Vec<bool> {
        self.table
            .as_ref()
            .map(|t| t.stats.iter().map(|s| s.named.is_some()).collect())
            .unwrap_or_default()
    }

    /// Looks at one non-empty cell of the current table, in column `col` (0-based). `values` says
    /// whether the cell may hold a value to find: callers that already know it has fewer than 9 ASCII
    /// digits and no `@` pass `false` (what [`scan_cell`] would find in it is nothing).
    pub(crate) fn cell(&mut self, col: usize, cell: &str, values: bool) {
        let Some(t) = self.table.as_mut() else {
            return;
        };
        if col >= t.stats.len() {
            // A row longer than its header: the extra cells get columns named by their letter.
            t.stats.resize_with(col + 1, ColumnStats::default);
            t.columns
                .extend((t.columns.len()..=col).map(|i| column_label("", i)));
        }
        let s = &mut t.stats[col];
        if s.named.is_some() && !cell.trim().is_empty() {
            s.named_count += 1;
            if s.named_example.is_none() {
                s.named_example = Some(mask_generic(cell));
            }
        }
        if values && self.rules.check_values {
            scan_cell(cell, &mut self.hits);
            for hit in self.hits.iter().flatten() {
                let slot = &mut s.values[hit.kind.index()];
                slot.0 += 1;
                if slot.1.is_none() {
                    slot.1 = Some(mask_value(hit.kind, &cell[hit.start..hit.end]));
                }
            }
        }
    }
}

impl TableVisitor for IdentifierScanner<'_> {
    fn begin(
        &mut self,
        sheet: Option<&str>,
        _header_row: u64,
        header: Cells<'_>,
    ) -> Result<(), CheckError> {
        let n = header.len();
        let mut stats = Vec::with_capacity(n);
        for i in 0..n {
            stats.push(ColumnStats {
                named: if self.rules.check_column_names {
                    classify_header(header.get(i), self.rules)
                } else {
                    None
                },
                ..ColumnStats::default()
            });
        }
        self.table = Some(Table {
            sheet: sheet.map(str::to_owned),
            columns: (0..n).map(|i| column_label(header.get(i), i)).collect(),
            stats,
        });
        Ok(())
    }

    fn row(&mut self, _row: u64, cells: Cells<'_>) -> Result<(), CheckError> {
        for col in 0..cells.len() {
            let cell = cells.get(col);
            if !cell.is_empty() {
                self.cell(col, cell, true);
            }
        }
        Ok(())
    }

    fn unreadable(&mut self, part: Option<&str>, reason: &CheckError) -> Result<(), CheckError> {
        self.end()?;
        self.findings.push(Finding {
            sheet: part.map(str::to_owned),
            column: String::new(),
            kind: FindingKind::Unreadable,
            count: 0,
            example: reason.message_fr(),
        });
        Ok(())
    }

    fn end(&mut self) -> Result<(), CheckError> {
        let Some(t) = self.table.take() else {
            return Ok(());
        };
        for (col, s) in t.stats.into_iter().enumerate() {
            let column = &t.columns[col];
            let mut add = |kind: FindingKind, count: u64, example: Option<String>| {
                if count > 0 {
                    self.findings.push(Finding {
                        sheet: t.sheet.clone(),
                        column: column.clone(),
                        kind,
                        count,
                        example: example.unwrap_or_default(),
                    });
                }
            };
            if let Some(kind) = s.named {
                add(kind, s.named_count, s.named_example);
            }
            for (i, (count, example)) in s.values.into_iter().enumerate() {
                let kind = [
                    ValueKind::Nir,
                    ValueKind::Email,
                    ValueKind::Phone,
                    ValueKind::Iban,
                ][i];
                add(kind_of_value(kind), count, example);
            }
        }
        Ok(())
    }
}

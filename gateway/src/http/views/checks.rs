//! The shapes of a file's `checks` object and of a refused release's violations.
//!
//! The service hands over the typed `domain::Checks` (`service::content::file_checks`), whose
//! JSON has a deposit's or a result's fields only; the structs here describe that JSON for the
//! OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

/// A sentence in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Localised {
    /// In French.
    pub fr: String,
    /// In English.
    pub en: String,
}

/// A direct identifier found in a deposit, or a part the scan could not read.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Finding {
    /// The sheet name; `null` for CSV.
    pub sheet: Option<String>,
    /// The column's header as written (empty for a whole file or entry).
    pub column: String,
    /// `nir`, `email`, `phone`, `iban`, `name`, … or `unreadable`.
    pub kind: String,
    /// How many cells.
    pub count: u64,
    /// The first one, masked; for `unreadable`, which part and why.
    pub example: String,
    /// A sentence for a person.
    pub message: Option<Localised>,
}

/// A cell that fails the statistical disclosure check.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Violation {
    /// The sheet name; `null` for CSV (and for `unreadable`).
    pub sheet: Option<String>,
    /// The 1-based row number as a spreadsheet shows it, the header being row 1.
    pub row: Option<u64>,
    /// The column's header text.
    pub column: Option<String>,
    /// The cell as written.
    pub value: Option<String>,
    /// `min_count`, `extreme_share`, `low_response_rate`, `recomputable_cell` or `unreadable`.
    pub rule: String,
    /// A sentence for a person.
    pub message: Option<Localised>,
    /// The row's label cells (`commune`, `quartier`…), at most three of 60 characters; absent
    /// when none.
    pub labels: Option<Vec<String>>,
}

/// Who let a file through despite its checks, when and why.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Decision {
    /// The user id.
    pub by: String,
    /// When.
    pub at: String,
    /// Why.
    pub justification: String,
}

/// A file's content checks: `findings` and `confirmation` for a deposit, `violations` and
/// `override` for a result.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Checks {
    /// `pending_scan`, `clean`, `quarantined`, `confirmed`, `passed`, `failed`, `overridden`, …
    pub status: String,
    /// A deposit's findings.
    pub findings: Option<Vec<Finding>>,
    /// A deposit's confirmation, `null` until confirmed.
    pub confirmation: Option<Decision>,
    /// A result's violations.
    pub violations: Option<Vec<Violation>>,
    /// A result's override, `null` unless overridden.
    #[serde(rename = "override")]
    pub override_: Option<Decision>,
}

//! The reports of the content checks as stored with a file (`files.check_report`) and shown by
//! the API: what the identifier scan found in a deposit, what the disclosure check refused in a
//! result. The field names are the stored JSON's and the API's: do not rename them.

super::stored_words! {
    /// The disclosure rule a cell of a result breaks.
    Rule, "disclosure rule" {
        /// A count below the threshold.
        MinCount => "min_count",
        /// A share of exactly 0 or 100.
        ExtremeShare => "extreme_share",
        /// A response rate under the threshold.
        LowResponseRate => "low_response_rate",
        /// A suppressed cell that a total gives back.
        RecomputableCell => "recomputable_cell",
        /// A part of the file (or all of it) the check could not read.
        Unreadable => "unreadable",
    }
}

super::stored_words! {
    /// What kind of direct identifier the scan found in a deposit.
    FindingKind, "finding kind" {
        /// A column named like a last name.
        NameColumn => "name_column",
        /// A column named like a first name.
        FirstNameColumn => "first_name_column",
        /// A column named like a postal address.
        AddressColumn => "address_column",
        /// A column named like a birth date.
        BirthDateColumn => "birth_date_column",
        /// A column named like a phone number.
        PhoneColumn => "phone_column",
        /// A column named like an e-mail address.
        EmailColumn => "email_column",
        /// Values that are French social security numbers (NIR) with a valid key.
        Nir => "nir",
        /// Values that are e-mail addresses.
        Email => "email",
        /// Values that are French phone numbers.
        Phone => "phone",
        /// Values that are IBANs with a valid checksum.
        Iban => "iban",
        /// A part of the file (an entry of a zip, or the whole file) that could not be read: the
        /// finding's `sheet` names the entry, its `example` says why.
        Unreadable => "unreadable",
    }
}

/// The thresholds of the disclosure check in force, which the rules' wording names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Smallest count that may be published.
    pub min_count: u32,
    /// Lowest response rate that may be published, in percent.
    pub min_response_rate: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_count: 11,
            min_response_rate: 60.0,
        }
    }
}

/// A sentence in both languages of the interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bilingual {
    /// In French.
    pub fr: String,
    /// In English.
    pub en: String,
}

/// A direct identifier the scan found in a deposit's column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// The column's header (empty when the whole file is concerned).
    pub column: String,
    /// What was found (`email`, `phone`, …, or `unreadable`).
    pub kind: FindingKind,
    /// How many cells.
    pub count: u64,
    /// A masked example, or the reason a file could not be read.
    pub example: String,
    /// The finding in words (see [`super::wording`]).
    #[serde(default)]
    pub message: Bilingual,
}

/// A cell of a result that breaks a disclosure rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// The row, from 1.
    pub row: Option<u64>,
    /// The column's header.
    pub column: Option<String>,
    /// The cell's value.
    pub value: Option<String>,
    /// The rule it breaks.
    pub rule: Rule,
    /// The violation in words (see [`super::wording`]).
    #[serde(default)]
    pub message: Bilingual,
    /// The row's labels (its `commune`, `quartier`… cells), as the check bounds them; absent
    /// from reports stored before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// Who let a file through despite its checks, when and why (`files.check_decision`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// The user id.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// Why.
    pub justification: String,
}

/// A file's content checks as the API shows them: findings and confirmation for a deposit,
/// violations and override for a result. (Fields in the order the API has always written them.)
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Checks {
    /// A deposit's identifier scan.
    Deposit {
        /// The depositor's confirmation, `null` until confirmed.
        confirmation: Option<Decision>,
        /// What the scan found.
        findings: Vec<Finding>,
        /// The verdict.
        status: super::CheckStatus,
    },
    /// A result's disclosure check.
    Result {
        /// The manager's override, `null` unless overridden.
        #[serde(rename = "override")]
        override_: Option<Decision>,
        /// The verdict.
        status: super::CheckStatus,
        /// The cells that stopped the last release.
        violations: Vec<Violation>,
    },
}

/// Reads a stored report; a report this build cannot read shows as empty (it is kept as stored).
pub(crate) fn read<T: serde::de::DeserializeOwned>(stored: Option<&str>) -> Vec<T> {
    stored
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_reports_read_back_unchanged() {
        let stored = r#"[{"sheet":null,"row":3,"column":"B","value":"4","rule":"min_count","message":{"fr":"f","en":"e"}}]"#;
        let v: Vec<Violation> = read(Some(stored));
        assert_eq!(v[0].rule, Rule::MinCount);
        assert_eq!(serde_json::to_string(&v).unwrap(), stored);
        let stored = r#"[{"sheet":"S","column":"mail","kind":"email","count":2,"example":"a***@x","message":{"fr":"f","en":"e"}}]"#;
        let f: Vec<Finding> = read(Some(stored));
        assert_eq!(serde_json::to_string(&f).unwrap(), stored);
        assert!(read::<Finding>(Some("not json")).is_empty());
        let stored = r#"[{"sheet":null,"row":3,"column":"B","value":"4","rule":"min_count","message":{"fr":"f","en":"e"},"labels":["Carvin","Centre"]}]"#;
        let v: Vec<Violation> = read(Some(stored));
        assert_eq!(v[0].labels, ["Carvin", "Centre"]);
        assert_eq!(serde_json::to_string(&v).unwrap(), stored);
    }
}

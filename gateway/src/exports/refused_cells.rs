//! The cells a result's disclosure check refused, as CSV for the analyst who fixes them (the
//! mission page links it): every field quoted, the row's labels joined, each rule in words.

use super::formula_like;
use crate::domain::{Bilingual, Thresholds, Violation};
use admin_ui::Lang;

/// `-5`, `-2,5`, `+3.0`: a sign, digits, at most one decimal mark (not `-inf`, `+1e999`…).
fn plain_number(field: &str) -> bool {
    let digits = field.strip_prefix(['-', '+']).unwrap_or(field);
    let mut parts = digits.splitn(2, ['.', ',']);
    let whole = parts.next().unwrap_or_default();
    let decimals = parts.next().unwrap_or("0");
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !decimals.is_empty()
        && decimals.bytes().all(|b| b.is_ascii_digit())
}

fn said(lang: Lang, words: Bilingual) -> String {
    match lang {
        Lang::Fr => words.fr,
        Lang::En => words.en,
    }
}

/// The CSV text: a byte-order mark (spreadsheet software then reads UTF-8), `;` between
/// fields (what French spreadsheet software expects), every field quoted.
pub(crate) fn refused_cells_csv(
    lang: Lang,
    thresholds: &Thresholds,
    violations: &[Violation],
) -> String {
    let t = lang.t();
    let mut out = String::from("\u{feff}");
    let header = [
        t.violation_sheet_col,
        t.violation_row_col,
        t.violation_labels_col,
        t.violation_column_col,
        t.violation_value_col,
        t.violation_rule_col,
    ];
    push_line(&mut out, header.iter().map(|h| (*h).to_owned()));
    for v in violations {
        push_line(
            &mut out,
            [
                v.sheet.clone().unwrap_or_default(),
                v.row.map(|r| r.to_string()).unwrap_or_default(),
                v.labels.join(" · "),
                v.column.clone().unwrap_or_default(),
                v.value.clone().unwrap_or_default(),
                said(lang, v.rule_words(thresholds)),
            ]
            .into_iter(),
        );
    }
    out
}

fn push_line(out: &mut String, fields: impl Iterator<Item = String>) {
    let mut first = true;
    for field in fields {
        if !first {
            out.push(';');
        }
        first = false;
        out.push('"');
        // The cells come from the uploaded file: one starting like a formula is written as
        // text, so that opening the list in a spreadsheet runs nothing.
        // A plain number (`-5`, `-2,5`) stays a number.
        if formula_like(&field) && !plain_number(&field) {
            out.push('\'');
        }
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Bilingual, Rule};

    #[test]
    fn csv_quotes_escapes_and_disarms_formulas() {
        let v = Violation {
            sheet: None,
            row: Some(3),
            column: Some("nb \"logements\"".to_owned()),
            value: Some("=HYPERLINK(\"x\")".to_owned()),
            rule: Rule::MinCount,
            message: Bilingual::default(),
            labels: vec!["Carvin".to_owned(), "Centre".to_owned()],
        };
        let neg = Violation {
            value: Some("-5".to_owned()),
            ..v.clone()
        };
        let csv = refused_cells_csv(
            Lang::Fr,
            &crate::config::ChecksConfig::default().thresholds(),
            &[v, neg],
        );
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(
            lines[0],
            "\"Feuille\";\"Ligne\";\"Libellés de la ligne\";\"Colonne\";\"Valeur\";\"Règle\""
        );
        assert!(
            lines[1].starts_with(
                "\"\";\"3\";\"Carvin · Centre\";\"nb \"\"logements\"\"\";\"'=HYPERLINK(\"\"x\"\")\";"
            ),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains(";\"-5\";"), "{}", lines[2]);
        assert!(csv.starts_with('\u{feff}'));
        for (field, armed) in [
            ("-5", false),
            ("-2,5", false),
            ("+3.0", false),
            ("-inf", true),
            ("+1e999", true),
            ("-", true),
            ("@SUM(A1)", true),
            ("\tx", true),
        ] {
            assert_eq!(!plain_number(field), armed, "{field}");
        }
    }
}

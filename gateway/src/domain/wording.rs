//! How the content checks' reports are said: one wording per disclosure rule and per finding
//! kind, in French and in English, and the sentences built from them.
//!
//! Every consumer takes its words from here: the gateway words a report once, when the check
//! concludes (the `message` stored with the file and shown by the API), and the mission page
//! names a refused cell's rule with [`Rule::words`] and shows a finding with [`Finding::words`].

use super::{Bilingual, Finding, FindingKind, Rule, Thresholds, Violation};

impl Bilingual {
    /// A sentence from its two versions.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// Whether both versions are empty (a report stored without its words).
    pub fn is_empty(&self) -> bool {
        self.fr.is_empty() && self.en.is_empty()
    }
}

/// A percentage as people write it: `60`, not `60.0`; `62.5` stays.
fn percent(rate: f64) -> String {
    if rate.fract() == 0.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate}")
    }
}

/// `s` after a count other than 0 or 1.
fn plural(n: u64) -> &'static str {
    if n > 1 {
        "s"
    } else {
        ""
    }
}

/// The sheet a report line is about, as the start of its sentence (nothing for a CSV file).
fn sheet_prefix(sheet: Option<&str>) -> Bilingual {
    match sheet {
        Some(s) => Bilingual::new(format!("feuille « {s} », "), format!("sheet \"{s}\", ")),
        None => Bilingual::default(),
    }
}

/// The part of a file a line names when it could not be read: an entry, or the file itself.
fn part_name(part: Option<&str>) -> Bilingual {
    match part {
        Some(p) => Bilingual::new(p, p),
        None => Bilingual::new("fichier", "file"),
    }
}

impl Rule {
    /// The rule in words, with the thresholds in force (what a refused cell breaks).
    pub fn words(self, t: &Thresholds) -> Bilingual {
        let n = t.min_count;
        let below = n.saturating_sub(1);
        let rate = percent(t.min_response_rate);
        match self {
            Rule::MinCount => Bilingual::new(
                format!("nombre de 1 à {below} : secret statistique (seuil {n})"),
                format!("count of 1 to {below}: statistical confidentiality (threshold {n})"),
            ),
            Rule::ExtremeShare => Bilingual::new(
                "part de 0 % ou de 100 % : elle révèle une caractéristique de tous les ménages",
                "share of 0% or 100%: it reveals a trait of every household",
            ),
            Rule::LowResponseRate => Bilingual::new(
                format!("taux de réponse inférieur à {rate} % : résultat trop peu fiable"),
                format!("response rate under {rate}%: result not reliable enough"),
            ),
            Rule::RecomputableCell => Bilingual::new(
                "case masquée qu'un total permet de retrouver",
                "suppressed cell a total gives back",
            ),
            Rule::Unreadable => Bilingual::new(
                "contenu illisible : il n'a pas pu être vérifié, il ne peut donc pas être diffusé sans dérogation",
                "unreadable content: it could not be checked, so it cannot be released without an override",
            ),
        }
    }
}

impl FindingKind {
    /// What was found, in words.
    pub fn words(self) -> Bilingual {
        let (fr, en) = match self {
            Self::NameColumn => ("colonne de noms de personnes", "column of person names"),
            Self::FirstNameColumn => ("colonne de prénoms", "column of first names"),
            Self::AddressColumn => ("colonne d'adresses", "column of addresses"),
            Self::BirthDateColumn => ("colonne de dates de naissance", "column of birth dates"),
            Self::PhoneColumn => ("colonne de numéros de téléphone", "column of phone numbers"),
            Self::EmailColumn => ("colonne d'adresses e-mail", "column of e-mail addresses"),
            Self::Nir => (
                "numéros de sécurité sociale (NIR)",
                "French social security numbers (NIR)",
            ),
            Self::Email => ("adresses e-mail", "e-mail addresses"),
            Self::Phone => ("numéros de téléphone", "phone numbers"),
            Self::Iban => ("IBAN (coordonnées bancaires)", "IBANs (bank details)"),
            Self::Unreadable => (
                "contenu illisible, non vérifié",
                "unreadable content, not checked",
            ),
        };
        Bilingual::new(fr, en)
    }
}

impl Finding {
    /// Direct identifiers of one kind in one column, worded.
    pub fn found(
        sheet: Option<String>,
        column: String,
        kind: FindingKind,
        count: u64,
        example: String,
    ) -> Self {
        let message = if kind == FindingKind::Unreadable {
            let part = part_name(sheet.as_deref());
            Bilingual::new(
                format!("« {} » n'a pas pu être vérifié ({example}) : assurez-vous qu'il ne contient aucun identifiant direct avant de confirmer le dépôt.", part.fr),
                format!("\"{}\" could not be checked ({example}): make sure it holds no direct identifier before confirming the deposit.", part.en),
            )
        } else {
            let at = sheet_prefix(sheet.as_deref());
            let what = kind.words();
            let s = plural(count);
            Bilingual::new(
                format!(
                    "{}colonne « {column} » : {} ({count} valeur{s}, par exemple « {example} »)",
                    at.fr, what.fr
                ),
                format!(
                    "{}column \"{column}\": {} ({count} value{s}, e.g. \"{example}\")",
                    at.en, what.en
                ),
            )
        };
        Self {
            sheet,
            column,
            kind,
            count,
            example,
            message,
        }
    }

    /// The finding of a deposit the scan could not read at all, `why` it could not.
    pub fn unreadable_file(why: &Bilingual) -> Self {
        Self {
            sheet: None,
            column: String::new(),
            kind: FindingKind::Unreadable,
            count: 0,
            example: why.fr.clone(),
            message: Bilingual::new(
                format!("Fichier que le contrôle n'a pas pu lire en entier : {} Vérifiez qu'il ne contient aucun identifiant direct avant de le confirmer.", why.fr),
                format!("File the check could not read in full: {} Make sure it holds no direct identifier before confirming it.", why.en),
            ),
        }
    }

    /// The finding in words: as worded when the check ran, or, for a report stored without its
    /// words, what was found.
    pub fn words(&self) -> Bilingual {
        if self.message.is_empty() {
            self.kind.words()
        } else {
            self.message.clone()
        }
    }
}

impl Violation {
    /// A cell that breaks `rule`, worded with the thresholds in force.
    pub fn cell(
        sheet: Option<String>,
        row: u64,
        column: String,
        value: String,
        rule: Rule,
        labels: Vec<String>,
        t: &Thresholds,
    ) -> Self {
        let at = sheet_prefix(sheet.as_deref());
        let why = rule.words(t);
        let message = Bilingual::new(
            format!(
                "{}ligne {row}, colonne « {column} », valeur « {value} » : {}",
                at.fr, why.fr
            ),
            format!(
                "{}row {row}, column \"{column}\", value \"{value}\": {}",
                at.en, why.en
            ),
        );
        Self {
            sheet,
            row: Some(row),
            column: Some(column),
            value: Some(value),
            rule,
            message,
            labels,
        }
    }

    /// A part of a result (an entry, or the file: `None`) the check could not read, `why_fr` it
    /// could not. The contract's shape: no cell to point at, the part and the reason are in the
    /// message.
    pub fn unreadable_part(part: Option<&str>, why_fr: &str, t: &Thresholds) -> Self {
        let part = part_name(part);
        let rule = Rule::Unreadable.words(t);
        Self::unreadable(Bilingual::new(
            format!("« {} » : {why_fr} ; {}", part.fr, rule.fr),
            format!("\"{}\": {}", part.en, rule.en),
        ))
    }

    /// The one violation of a result the disclosure check could not read at all, `why`.
    pub fn unreadable_file(why: &Bilingual) -> Self {
        Self::unreadable(Bilingual::new(
            format!("Le contrôle de confidentialité n'a pas pu lire ce fichier : {} Un résultat non vérifié ne peut être mis à disposition que par dérogation du responsable de la mission.", why.fr),
            format!("The disclosure check could not read this file: {} An unchecked result can only be released by an override of the mission's manager.", why.en),
        ))
    }

    fn unreadable(message: Bilingual) -> Self {
        Self {
            sheet: None,
            row: None,
            column: None,
            value: None,
            rule: Rule::Unreadable,
            message,
            labels: Vec::new(),
        }
    }

    /// What the cell breaks, in words, for a table whose other columns say where the cell is:
    /// the rule with the thresholds in force; for a part that could not be read, the whole
    /// message (it names the part and why).
    pub fn rule_words(&self, t: &Thresholds) -> Bilingual {
        if self.rule == Rule::Unreadable && !self.message.is_empty() {
            self.message.clone()
        } else {
            self.rule.words(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_worded_with_the_thresholds_in_force() {
        let t = Thresholds::default();
        assert_eq!(
            Rule::MinCount.words(&t).fr,
            "nombre de 1 à 10 : secret statistique (seuil 11)"
        );
        let t = Thresholds {
            min_count: 5,
            min_response_rate: 62.5,
        };
        assert!(Rule::MinCount.words(&t).en.contains("1 to 4"));
        assert!(Rule::LowResponseRate.words(&t).fr.contains("62.5 %"));
        for r in Rule::ALL {
            let w = r.words(&t);
            assert!(!w.fr.is_empty() && !w.en.is_empty() && w.fr != w.en);
        }
        for k in FindingKind::ALL {
            let w = k.words();
            assert!(!w.fr.is_empty() && !w.en.is_empty() && w.fr != w.en);
        }
    }

    #[test]
    fn sentences_name_the_place_and_the_rule_or_kind() {
        let t = Thresholds::default();
        let v = Violation::cell(
            Some("S".into()),
            3,
            "nb".into(),
            "4".into(),
            Rule::MinCount,
            Vec::new(),
            &t,
        );
        assert_eq!(
            v.message.fr,
            "feuille « S », ligne 3, colonne « nb », valeur « 4 » : nombre de 1 à 10 : secret statistique (seuil 11)"
        );
        assert_eq!(v.rule_words(&t), Rule::MinCount.words(&t));
        let u = Violation::unreadable_part(Some("a.pdf"), "illisible.", &t);
        assert_eq!((u.sheet.as_deref(), u.row), (None, None));
        assert!(u.rule_words(&t).fr.starts_with("« a.pdf » : illisible."));
        assert!(u.message.en.starts_with("\"a.pdf\": "));
        let f = Finding::found(None, "nir".into(), FindingKind::Nir, 2, "1 85".into());
        assert!(f.message.fr.contains("colonne « nir »"));
        assert!(f.message.en.contains("social security"));
        assert!(f.message.fr.contains("2 valeurs"));
        let mut bare = f.clone();
        bare.message = Bilingual::default();
        assert_eq!(bare.words(), FindingKind::Nir.words());
    }
}

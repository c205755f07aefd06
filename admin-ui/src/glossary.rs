//! The glossary: the one word the interface uses for each thing of the domain, in French and
//! English, and the words it never uses.
//!
//! Every text of the interface ([`crate::i18n`], [`crate::admin_i18n`], the templates) says a
//! thing with the word given here; the tests below read them all and refuse a synonym the
//! glossary rules out (« diffuser » for a release…) or, on the pages non-administrators read,
//! cryptographic jargon. Role names come from here ([`Term::role`]).

use crate::i18n::Lang;

/// A word of the domain in both languages, with the synonyms it replaces.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// The French word, as written in a sentence (lower case).
    pub fr: &'static str,
    /// The English word.
    pub en: &'static str,
    /// French words (or word starts) never used for this thing.
    pub not_fr: &'static [&'static str],
}

impl Term {
    /// The word in `lang`.
    pub fn in_lang(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Fr => self.fr,
            Lang::En => self.en,
        }
    }

    /// A mission role's term, from its stored word (`manager`, `depositor`, `processor`,
    /// `recipient`).
    pub fn role(stored: &str) -> Option<&'static Term> {
        match stored {
            "manager" => Some(&MANAGER),
            "depositor" => Some(&DEPOSITOR),
            "processor" => Some(&PROCESSOR),
            "recipient" => Some(&RECIPIENT),
            _ => None,
        }
    }
}

/// Making a result visible to the mission's recipients.
pub const RELEASE: Term = Term {
    fr: "mise à disposition",
    en: "release",
    not_fr: &["diffus", "publier le résultat", "partager le résultat"],
};
/// A result made visible to the recipients.
pub const RELEASED: Term = Term {
    fr: "mis à disposition",
    en: "released",
    not_fr: &["diffus"],
};
/// A raw file sent by a depositor.
pub const DEPOSIT: Term = Term {
    fr: "dépôt",
    en: "deposit",
    not_fr: &[],
};
/// An aggregated file sent by the processor.
pub const RESULT: Term = Term {
    fr: "résultat",
    en: "result",
    not_fr: &[],
};
/// The role that runs the mission: adds participants, may override a failed check.
pub const MANAGER: Term = Term {
    fr: "responsable",
    en: "manager",
    not_fr: &["gestionnaire de mission", "chef de mission"],
};
/// The role that sends raw files (a social landlord's officer).
pub const DEPOSITOR: Term = Term {
    fr: "dépositaire",
    en: "depositor",
    not_fr: &["déposant"],
};
/// The role that reads the deposits and sends results (the consultancy's analyst).
pub const PROCESSOR: Term = Term {
    fr: "chargé d'études",
    en: "processor",
    not_fr: &["analyste", "sous-traitant"],
};
/// The role that reads the released results.
pub const RECIPIENT: Term = Term {
    fr: "destinataire",
    en: "recipient",
    not_fr: &["bénéficiaire"],
};
/// The organisation that does the study.
pub const CONSULTANCY: Term = Term {
    fr: "bureau d'études",
    en: "consultancy",
    not_fr: &["cabinet d'études"],
};
/// The organisation that owns the data of the mission.
pub const CONTROLLER: Term = Term {
    fr: "organisme responsable",
    en: "controller organisation",
    not_fr: &[],
};
/// The signed proof that a mission's data was destroyed.
pub const CERTIFICATE: Term = Term {
    fr: "certificat de destruction",
    en: "certificate of destruction",
    not_fr: &["attestation de destruction"],
};

/// Every term, for the checks.
pub const TERMS: &[Term] = &[
    RELEASE,
    RELEASED,
    DEPOSIT,
    RESULT,
    MANAGER,
    DEPOSITOR,
    PROCESSOR,
    RECIPIENT,
    CONSULTANCY,
    CONTROLLER,
    CERTIFICATE,
];

/// Words a housing officer should not meet: cryptographic and statistical jargon. Only the
/// administrators' pages and the technical annex of the certificate may use them.
pub const JARGON: &[&str] = &[
    "NIST", "Ed25519", "SHA-256", "SHA256", "HKDF", "AES", "effectif",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, FR};

    /// The templates non-administrators read (the certificate keeps its technical annex).
    const PUBLIC_TEMPLATES: &[(&str, &str)] = &[
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        (
            "change_password.html",
            include_str!("../templates/change_password.html"),
        ),
        ("enroll.html", include_str!("../templates/enroll.html")),
        ("totp.html", include_str!("../templates/totp.html")),
        (
            "recovery_codes.html",
            include_str!("../templates/recovery_codes.html"),
        ),
        ("home.html", include_str!("../templates/home.html")),
        ("mission.html", include_str!("../templates/mission.html")),
        ("charter.html", include_str!("../templates/charter.html")),
        ("error.html", include_str!("../templates/error.html")),
        (
            "signed_out.html",
            include_str!("../templates/signed_out.html"),
        ),
    ];

    fn public_texts() -> Vec<(String, String)> {
        let mut texts = vec![
            ("FR".to_owned(), format!("{FR:?}")),
            ("EN".to_owned(), format!("{EN:?}")),
        ];
        for lang in [Lang::Fr, Lang::En] {
            texts.push((
                format!("notices {lang:?}"),
                [
                    lang.notice_uploaded("x", true),
                    lang.notice_uploaded("x", false),
                    lang.notice_released("x"),
                    lang.notice_confirmed("x"),
                ]
                .join(" "),
            ));
        }
        for (name, text) in PUBLIC_TEMPLATES {
            // Route names (`/fichiers/…/diffusion`) are addresses, not words.
            let words = text.replace("/diffusion", "");
            texts.push(((*name).to_owned(), words));
        }
        texts
    }

    #[test]
    fn no_synonym_the_glossary_rules_out() {
        let mut texts = public_texts();
        texts.push((
            "admin FR".to_owned(),
            format!("{:?}", crate::admin_i18n::ADMIN_FR),
        ));
        for (name, text) in texts {
            let lower = text.to_lowercase();
            for term in TERMS {
                for word in term.not_fr {
                    assert!(
                        !lower.contains(word),
                        "{name} says « {word} » where the glossary says « {} »",
                        term.fr
                    );
                }
            }
        }
    }

    #[test]
    fn no_jargon_where_non_administrators_read() {
        for (name, text) in public_texts() {
            for word in JARGON {
                assert!(!text.contains(word), "{name} says « {word} »");
            }
        }
    }

    #[test]
    fn role_names_come_from_the_glossary() {
        for role in ["manager", "depositor", "processor", "recipient"] {
            let term = Term::role(role).unwrap();
            assert_eq!(Lang::Fr.role_name(role), term.fr);
            assert_eq!(Lang::En.role_name(role), term.en);
        }
        assert!(Term::role("other").is_none());
    }
}

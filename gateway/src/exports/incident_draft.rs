//! The words of an incident report: its tables (shared by the CSVs and the page), the
//! pre-filled French draft of the facts the CNIL notification form asks for (the judgement
//! fields left blank for a person), and the printable page.

use crate::service::incident::{IncidentFacts, Outcomes};
use admin_ui::{AdminStrings, IncidentReportPage, ReportField, ReportTable};
use std::collections::{BTreeMap, BTreeSet};

/// One table of the report: its CSV file, its caption on the page, its CSV header and rows.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The CSV's file name.
    pub file: &'static str,
    /// Caption on the page.
    pub caption: &'static str,
    /// The CSV header line (`;`-separated column names).
    pub header: String,
    /// The rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table from its rows.
    pub(crate) fn new(
        file: &'static str,
        caption: &'static str,
        header: &str,
        rows: impl Iterator<Item = Vec<String>>,
    ) -> Self {
        Self {
            file,
            caption,
            header: header.to_owned(),
            rows: rows.collect(),
        }
    }
}

/// Operations and their outcomes in words: `téléchargement : 3 succès, 1 refusé`.
pub(crate) fn ops_words(words: &AdminStrings, ops: &BTreeMap<String, Outcomes>) -> String {
    ops.iter()
        .map(|(action, o)| {
            let mut parts = Vec::new();
            for (n, word) in [
                (o.success, "success"),
                (o.denied, "denied"),
                (o.failed, "failed"),
            ] {
                if n > 0 {
                    parts.push(format!("{n} {}", words.outcome_name(word)));
                }
            }
            format!("{} : {}", words.action_name(action), parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// A kind of direct identifier found by the scan, as the register and the draft name it.
pub(crate) fn kind_fr(kind: &str) -> &str {
    match kind {
        "name_column" => "nom",
        "first_name_column" => "prénom",
        "address_column" => "adresse postale",
        "birth_date_column" => "date de naissance",
        "phone_column" | "phone" => "numéro de téléphone",
        "email_column" | "email" => "adresse électronique",
        "nir" => "numéro de sécurité sociale (NIR)",
        "iban" => "coordonnées bancaires (IBAN)",
        other => other,
    }
}

/// The kinds, in words, without repeats.
pub(crate) fn kinds_fr(kinds: &BTreeSet<String>) -> String {
    let words: BTreeSet<&str> = kinds.iter().map(|k| kind_fr(k)).collect();
    words.into_iter().collect::<Vec<_>>().join(", ")
}

/// The facts of the CNIL notification form, pre-filled; `to_complete` lists what a person decides.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct CnilDraft {
    /// `(question, pre-filled answer)`, in the form's order.
    pub facts: Vec<(String, String)>,
    /// `(question, "")`: the judgement left to a person.
    pub to_complete: Vec<(String, String)>,
}

fn count(facts: &IncidentFacts, action: &str, outcome: &str) -> u64 {
    facts
        .accounts
        .iter()
        .filter_map(|a| a.touches.operations.get(action))
        .map(|o| match outcome {
            "success" => o.success,
            "denied" => o.denied,
            _ => o.failed,
        })
        .sum()
}

/// The pre-filled draft.
pub(crate) fn draft(facts: &IncidentFacts) -> CnilDraft {
    let words = admin_ui::Lang::Fr.admin();
    let deposits = facts
        .files
        .iter()
        .filter(|f| f.folder == "deposits")
        .count();
    let results = facts.files.len() - deposits;
    let bytes: u64 = facts.files.iter().map(|f| f.size).sum();
    let counted: u64 = facts.files.iter().filter_map(|f| f.persons_counted).sum();
    let uncounted = facts
        .files
        .iter()
        .filter(|f| f.folder == "deposits" && f.persons_counted.is_none())
        .count();
    let mut kinds = BTreeSet::new();
    for f in &facts.files {
        kinds.extend(f.identifier_kinds.iter().cloned());
    }
    let mut ops: BTreeMap<String, Outcomes> = BTreeMap::new();
    for a in &facts.accounts {
        for (action, o) in &a.touches.operations {
            let e = ops.entry(action.clone()).or_default();
            e.success += o.success;
            e.denied += o.denied;
            e.failed += o.failed;
        }
    }
    let controllers: Vec<&str> = facts
        .controllers
        .iter()
        .map(|c| c.organisation.name.as_str())
        .collect();
    let nature = format!(
        "Période examinée : du {} au {}. {} événement(s) du journal d'audit sélectionné(s), \
         concernant {} mission(s) et {} fichier(s) ({} dépôt(s), {} résultat(s), {} octets) \
         d'organismes responsables : {}. Opérations constatées : {}. Origine : {} compte(s), {} adresse(s) IP.",
        super::paris_seconds_rfc(&facts.from),
        super::paris_seconds_rfc(&facts.to),
        facts.events,
        facts.missions.len(),
        facts.files.len(),
        deposits,
        results,
        bytes,
        if controllers.is_empty() { "aucun".to_owned() } else { controllers.join(", ") },
        if ops.is_empty() { "aucune".to_owned() } else { ops_words(words, &ops) },
        facts.accounts.len(),
        facts.addresses.len(),
    );
    let persons = if deposits == 0 {
        "Aucun dépôt concerné : pas de personne identifiée directement dans les fichiers."
            .to_owned()
    } else {
        format!(
            "Au moins {counted} personne(s) : cellules d'identifiants directs comptées par l'analyse \
             des dépôts (la plus grande catégorie par fichier). {uncounted} dépôt(s) sans identifiant \
             direct détecté : nombre de personnes à estimer d'après leur contenu."
        )
    };
    let data = if kinds.is_empty() {
        "Aucun identifiant direct détecté par l'analyse des dépôts concernés ; données d'enquête \
         (occupation du parc social) et résultats agrégés."
            .to_owned()
    } else {
        format!(
            "Identifiants directs détectés dans les dépôts : {} ; données d'enquête (occupation du \
             parc social) et résultats agrégés.",
            kinds_fr(&kinds)
        )
    };
    let downloads = count(facts, "file.download", "success");
    let fetched_by_others = count(facts, "file.download", "denied");
    let consequences = format!(
        "{downloads} téléchargement(s) réussi(s) et {fetched_by_others} refusé(s) pendant la période. \
         Les fichiers sont chiffrés au repos ; un fichier téléchargé a pu être lu en clair par qui \
         détenait la session. À apprécier : risque de perte de confidentialité pour les ménages enquêtés."
    );
    let measures_seen: Vec<String> = [
        "mission.suspend",
        "user.disable",
        "user.reset",
        "account.session_end",
        "auth.password_change",
        "mission.close",
    ]
    .iter()
    .filter_map(|a| {
        let n = count(facts, a, "success");
        (n > 0).then(|| format!("{} ({n})", words.action_name(a)))
    })
    .collect();
    let measures =
        format!(
        "Rapport d'incident généré et signé par la passerelle. Mesures constatées dans le journal \
         sur la période : {}.",
        if measures_seen.is_empty() { "aucune".to_owned() } else { measures_seen.join(", ") }
    );
    let q = |s: &str| s.to_owned();
    CnilDraft {
        facts: vec![
            (q("Nature de la violation (faits constatés)"), nature),
            (
                q("Catégories de personnes concernées"),
                "Ménages et personnes figurant dans les fichiers déposés par les organismes \
                 (enquêtes sur l'occupation du parc social)."
                    .to_owned(),
            ),
            (q("Nombre approximatif de personnes concernées"), persons),
            (q("Catégories de données concernées"), data),
            (
                q("Nombre approximatif d'enregistrements concernés"),
                format!(
                    "{} fichier(s) ({deposits} dépôt(s), {results} résultat(s)), {bytes} octets.",
                    facts.files.len()
                ),
            ),
            (q("Conséquences probables"), consequences),
            (q("Mesures prises"), measures),
        ],
        to_complete: [
            "Type de violation (confidentialité, intégrité, disponibilité)",
            "Date et heure de prise de connaissance de la violation",
            "Circonstances et origine de la violation (acte malveillant, erreur, perte…)",
            "Gravité et risque pour les droits et libertés des personnes",
            "Information des personnes concernées (oui/non, motif)",
            "Mesures complémentaires envisagées",
            "Personne à contacter (délégué à la protection des données)",
        ]
        .iter()
        .map(|s| (q(s), String::new()))
        .collect(),
    }
}

/// The printable page of a report.
pub(crate) fn page(
    facts: &IncidentFacts,
    draft: &CnilDraft,
    tables: &[Table],
    document: &serde_json::Value,
) -> IncidentReportPage {
    let text = |p: &str| {
        document
            .pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let field = |(label, text): &(String, String)| ReportField {
        label: label.clone(),
        text: text.clone(),
    };
    IncidentReportPage {
        from: super::paris_seconds_rfc(&facts.from),
        to: super::paris_seconds_rfc(&facts.to),
        generated_at: super::paris_seconds_rfc(&text("/payload/generated_at")),
        generated_by: text("/payload/generated_by"),
        scope: vec![
            ReportField {
                label: "Comptes".into(),
                text: facts
                    .accounts_asked
                    .iter()
                    .map(|a| format!("{} ({})", a.name, a.id))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            ReportField {
                label: "Adresses IP".into(),
                text: facts.addresses_asked.join(", "),
            },
            ReportField {
                label: "Missions".into(),
                text: facts
                    .missions_asked
                    .iter()
                    .map(|m| m.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ],
        events: facts.events,
        draft: draft.facts.iter().map(field).collect(),
        to_complete: draft.to_complete.iter().map(|(l, _)| l.clone()).collect(),
        tables: tables
            .iter()
            .map(|t| ReportTable {
                caption: t.caption.to_owned(),
                file: t.file.to_owned(),
                headers: t.header.split(';').map(|h| h.replace('_', " ")).collect(),
                rows: t.rows.clone(),
            })
            .collect(),
        key_id: text("/key_id"),
        signature: text("/signature"),
    }
}

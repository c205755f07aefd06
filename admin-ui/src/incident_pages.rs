//! The data protection officer's toolkit: the incident report (its form on the administration
//! pages, its printable French page) and the platform register of processing (GDPR art. 30).
//! Words of the administration pages are reached as `lang.incident()`; as in [`crate::i18n`],
//! one field per text and one instance per language. The printable report is in French only,
//! like the destruction certificate.

use crate::admin_pages::Choice;
use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

impl Lang {
    /// The incident and register pages' texts in this language.
    pub fn incident(self) -> &'static IncidentStrings {
        match self {
            Lang::Fr => &INCIDENT_FR,
            Lang::En => &INCIDENT_EN,
        }
    }
}

/// The texts of the incident report form and of the platform register page.
#[derive(Debug)]
pub struct IncidentStrings {
    /// Title of the incident page.
    pub incident_title: &'static str,
    /// Under the link on the administration home.
    pub incident_summary: &'static str,
    /// What the form does.
    pub incident_intro: &'static str,
    /// Start of the window.
    pub from_label: &'static str,
    /// End of the window.
    pub to_label: &'static str,
    /// Date and time hint.
    pub datetime_hint: &'static str,
    /// Accounts field.
    pub accounts_label: &'static str,
    /// Accounts hint.
    pub accounts_hint: &'static str,
    /// Addresses field.
    pub addresses_label: &'static str,
    /// Addresses hint.
    pub addresses_hint: &'static str,
    /// Missions field.
    pub missions_label: &'static str,
    /// Missions hint.
    pub missions_hint: &'static str,
    /// Button: show the printable report.
    pub show_button: &'static str,
    /// Button: download every file as a zip.
    pub zip_button: &'static str,
    /// A date or time that cannot be read.
    pub err_datetime: &'static str,
    /// Title of the register page.
    pub register_title: &'static str,
    /// Under the link on the administration home.
    pub register_summary: &'static str,
    /// What the register is.
    pub register_intro: &'static str,
    /// The register's table caption.
    pub register_caption: &'static str,
    /// Columns of the register's table.
    pub register_columns: [&'static str; 9],
    /// When there is no mission.
    pub register_empty: &'static str,
}

static INCIDENT_FR: IncidentStrings = IncidentStrings {
    incident_title: "Rapport d'incident",
    incident_summary: "Ce qu'une période du journal a touché : missions, fichiers, organismes, comptes et adresses, avec un projet de notification à la CNIL.",
    incident_intro: "Choisissez une période et, si besoin, des comptes, des adresses IP ou des missions. Le rapport est signé avec la clé des certificats ; sa génération est inscrite au journal.",
    from_label: "Début de la période",
    to_label: "Fin de la période (exclue)",
    datetime_hint: "JJ/MM/AAAA HH:MM, heure de Paris (HH:MM facultatif : minuit).",
    accounts_label: "Comptes",
    accounts_hint: "Identifiants de connexion, un par ligne ; vide : tous les comptes.",
    addresses_label: "Adresses IP",
    addresses_hint: "Une par ligne ; vide : toutes les adresses.",
    missions_label: "Missions",
    missions_hint: "Aucune cochée : toutes les missions.",
    show_button: "Afficher le rapport imprimable",
    zip_button: "Télécharger tous les fichiers (zip)",
    err_datetime: "Date illisible : écrivez JJ/MM/AAAA ou JJ/MM/AAAA HH:MM.",
    register_title: "Registre des traitements de la plateforme",
    register_summary: "Pour chaque organisme responsable : missions, finalités, catégories de données, organismes participants, conservation, destructions et transferts (RGPD, art. 30).",
    register_intro: "Le registre tenu par la plateforme pour les organismes responsables (RGPD, article 30, paragraphe 2), une ligne par mission. Les catégories de données viennent des colonnes détectées par l'analyse des dépôts, jamais de leurs valeurs.",
    register_caption: "Registre des traitements, par organisme responsable",
    register_columns: [
        "Organisme responsable",
        "Mission",
        "Finalité",
        "Catégories de données",
        "Organismes participants (sous-traitance)",
        "Conservation",
        "Destruction",
        "Certificat",
        "Transferts et lieu de stockage",
    ],
    register_empty: "Aucune mission.",
};

static INCIDENT_EN: IncidentStrings = IncidentStrings {
    incident_title: "Incident report",
    incident_summary: "What a period of the audit trail touched: missions, files, organisations, accounts and addresses, with a draft CNIL notification.",
    incident_intro: "Choose a period and, if need be, accounts, IP addresses or missions. The report is signed with the certificates' key; generating it is recorded in the audit trail.",
    from_label: "Start of the period",
    to_label: "End of the period (excluded)",
    datetime_hint: "DD/MM/YYYY HH:MM, Paris time (HH:MM optional: midnight).",
    accounts_label: "Accounts",
    accounts_hint: "Login names, one per line; empty: every account.",
    addresses_label: "IP addresses",
    addresses_hint: "One per line; empty: every address.",
    missions_label: "Missions",
    missions_hint: "None ticked: every mission.",
    show_button: "Show the printable report",
    zip_button: "Download every file (zip)",
    err_datetime: "Unreadable date: write DD/MM/YYYY or DD/MM/YYYY HH:MM.",
    register_title: "Platform register of processing",
    register_summary: "For each controller organisation: missions, purposes, data categories, sub-processors, retention, destructions and transfers (GDPR art. 30).",
    register_intro: "The register the platform keeps as a processor (GDPR article 30(2)), one line per mission. Data categories come from the columns the deposit scan detected, never from their values.",
    register_caption: "Register of processing, by controller organisation",
    register_columns: [
        "Controller organisation",
        "Mission",
        "Purpose",
        "Data categories",
        "Sub-processors (participating organisations)",
        "Retention",
        "Destruction",
        "Certificate",
        "Transfers and storage location",
    ],
    register_empty: "No mission.",
};

/// A labelled text of the report.
#[derive(Debug, Clone, Default)]
pub struct ReportField {
    /// The question or label.
    pub label: String,
    /// The answer.
    pub text: String,
}

/// A table of the report, as its CSV has it.
#[derive(Debug, Clone, Default)]
pub struct ReportTable {
    /// Caption.
    pub caption: String,
    /// The CSV file with the same lines.
    pub file: String,
    /// Column names.
    pub headers: Vec<String>,
    /// Lines.
    pub rows: Vec<Vec<String>>,
}

/// The printable incident report (French, no script, no form).
#[derive(Debug, Clone, Default, Template)]
#[template(path = "incident_report.html")]
pub struct IncidentReportPage {
    /// Start of the window (Paris time).
    pub from: String,
    /// End of the window.
    pub to: String,
    /// When it was generated.
    pub generated_at: String,
    /// By whom.
    pub generated_by: String,
    /// The accounts, addresses and missions asked about.
    pub scope: Vec<ReportField>,
    /// How many events were selected.
    pub events: u64,
    /// The pre-filled facts of the CNIL form.
    pub draft: Vec<ReportField>,
    /// The questions left to a person.
    pub to_complete: Vec<String>,
    /// The tables.
    pub tables: Vec<ReportTable>,
    /// Signing key id.
    pub key_id: String,
    /// Base64 signature of the JSON.
    pub signature: String,
}

/// `GET /admin/incident`: the report's form.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_incident.html")]
pub struct AdminIncidentPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Start, as typed.
    pub from: String,
    /// End, as typed.
    pub to: String,
    /// Accounts, as typed.
    pub accounts: String,
    /// Addresses, as typed.
    pub addresses: String,
    /// Every mission, those ticked selected.
    pub missions: Vec<Choice>,
    /// What to fix, if anything.
    pub error: Option<String>,
}

impl Layout for AdminIncidentPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/incident")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.error.is_some()
    }
}

/// `GET /admin/registre`: the platform register of processing.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_register.html")]
pub struct AdminRegisterPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The lines, as the CSV has them.
    pub rows: Vec<Vec<String>>,
}

impl Layout for AdminRegisterPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/registre")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

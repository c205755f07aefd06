//! The words of the operations pages (issue 17): the lockdown, the scheduled backups and the
//! yearly access review record, in French (the default) and English; reached as `lang.ops()`.
//! One field per text and one instance per language, as in [`crate::i18n::Strings`].

use crate::i18n::Lang;

impl Lang {
    /// The operations pages' texts in this language.
    pub fn ops(self) -> &'static OpsStrings {
        match self {
            Lang::Fr => &OPS_FR,
            Lang::En => &OPS_EN,
        }
    }
}

/// The lockdown's own words, French first whatever the language: whoever meets the interrupted
/// service did not choose a language and must understand at once.
pub const LOCKED_DOWN_TITLE: &str = "Service interrompu — Service interrupted";
/// The lockdown's message, French then English.
pub const LOCKED_DOWN_MESSAGE: &str =
    "Le service est interrompu pour raison de sécurité : réessayez plus tard. \
     — The service is interrupted for security reasons: please try again later.";

/// The texts of the operations pages in one language.
#[derive(Debug)]
pub struct OpsStrings {
    /// Which language these are.
    pub lang: Lang,
    /// The lockdown page's title and its entry on the administration home.
    pub lockdown_title: &'static str,
    /// Its one-line summary on the administration home.
    pub lockdown_summary: &'static str,
    /// What turning the lockdown on does.
    pub lockdown_effects: &'static str,
    /// What turning it off does.
    pub lockdown_off_effects: &'static str,
    /// "State".
    pub state_label: &'static str,
    /// The state when on.
    pub state_on: &'static str,
    /// The state when off.
    pub state_off: &'static str,
    /// "Reason".
    pub reason_label: &'static str,
    /// Help under the reason field.
    pub reason_help: &'static str,
    /// "Since" / "changed".
    pub changed_label: &'static str,
    /// "By".
    pub by_label: &'static str,
    /// The command line, as the author of a change.
    pub by_cli: &'static str,
    /// The code field's label.
    pub code_label: &'static str,
    /// Help under the code field.
    pub code_help: &'static str,
    /// The button that turns it on.
    pub button_on: &'static str,
    /// The button that turns it off.
    pub button_off: &'static str,
    /// The reason is missing.
    pub err_reason: &'static str,
    /// The code was refused.
    pub err_code: &'static str,
    /// Notice after turning it off.
    pub notice_off: &'static str,
    /// The banner's start while locked down.
    pub banner_prefix: &'static str,
    /// The last scheduled backup failed: the home page's warning, before its date and error.
    pub backup_failed: &'static str,
    /// The last scheduled backup succeeded: before its date and folder.
    pub backup_ok: &'static str,
    /// "Review done" heading of the access review page.
    pub review_done_title: &'static str,
    /// What the record is for.
    pub review_done_help: &'static str,
    /// "Organisation".
    pub review_done_org: &'static str,
    /// "What was changed".
    pub review_done_changes: &'static str,
    /// The record's button.
    pub review_done_button: &'static str,
    /// No record yet this year.
    pub review_done_none: &'static str,
    /// The organisation chosen is unknown.
    pub err_review_org: &'static str,
}

impl OpsStrings {
    /// Notice after turning the lockdown on.
    pub fn notice_on(&self, sessions: u64) -> String {
        match self.lang {
            Lang::Fr => format!("Service interrompu : {sessions} session(s) fermée(s)."),
            Lang::En => format!("Service interrupted: {sessions} session(s) ended."),
        }
    }

    /// The banner shown on the administration pages while locked down.
    pub fn banner(&self, since: &str, reason: &str) -> String {
        match self.lang {
            Lang::Fr => format!("{} depuis le {since} : {reason}", self.banner_prefix),
            Lang::En => format!("{} since {since}: {reason}", self.banner_prefix),
        }
    }

    /// "Review done on … by …: …".
    pub fn review_done_line(&self, org: &str, when: &str, who: &str, changes: &str) -> String {
        match self.lang {
            Lang::Fr => format!("{org} : revue faite le {when} par {who} — {changes}"),
            Lang::En => format!("{org}: review done on {when} by {who} — {changes}"),
        }
    }
}

static OPS_FR: OpsStrings = OpsStrings {
    lang: Lang::Fr,
    lockdown_title: "Interruption du service",
    lockdown_summary: "Interrompre le service en une action en cas de suspicion de violation de données, puis le rétablir.",
    lockdown_effects: "Interrompre le service ferme immédiatement toutes les sessions (navigateur et jetons d'API), y compris la vôtre ; seuls les administrateurs de la plateforme peuvent encore se connecter ; les dépôts et téléchargements sont refusés pour tous ; les destructions prévues continuent. L'action est consignée au journal avec sa raison.",
    lockdown_off_effects: "Rétablir le service permet à chacun de se reconnecter, de déposer et de télécharger. L'action est consignée au journal.",
    state_label: "État",
    state_on: "interrompu",
    state_off: "en service",
    reason_label: "Raison",
    reason_help: "Ce qui motive l'action (consignée au journal, 500 caractères au plus).",
    changed_label: "Dernier changement",
    by_label: "Par",
    by_cli: "la ligne de commande",
    code_label: "Code de votre application d'authentification",
    code_help: "Un code à 6 chiffres tout juste affiché (ou un code de secours) confirme l'action.",
    button_on: "Interrompre le service",
    button_off: "Rétablir le service",
    err_reason: "Donnez la raison de l'interruption.",
    err_code: "Code incorrect, expiré ou déjà utilisé.",
    notice_off: "Service rétabli.",
    banner_prefix: "Service interrompu pour raison de sécurité",
    backup_failed: "La dernière sauvegarde programmée a échoué :",
    backup_ok: "Dernière sauvegarde programmée réussie :",
    review_done_title: "Revue annuelle faite",
    review_done_help: "Consignez, pour chaque organisme, la revue annuelle des accès : qui l'a faite, quand, et ce qui a été changé. Ces lignes sont jointes à l'export CSV.",
    review_done_org: "Organisme",
    review_done_changes: "Ce qui a été changé",
    review_done_button: "Consigner la revue",
    review_done_none: "Aucune revue consignée.",
    err_review_org: "Choisissez un organisme.",
};

static OPS_EN: OpsStrings = OpsStrings {
    lang: Lang::En,
    lockdown_title: "Service lockdown",
    lockdown_summary: "Interrupt the service in one action on a suspected data breach, then restore it.",
    lockdown_effects: "Locking down ends every session at once (browsers and API tokens), yours included; only platform administrators can still sign in; uploads and downloads are refused for everyone; scheduled destructions go on. The action is recorded in the audit trail with its reason.",
    lockdown_off_effects: "Restoring the service lets everyone sign in, upload and download again. The action is recorded in the audit trail.",
    state_label: "State",
    state_on: "interrupted",
    state_off: "running",
    reason_label: "Reason",
    reason_help: "What calls for the action (recorded in the audit trail, 500 characters at most).",
    changed_label: "Last change",
    by_label: "By",
    by_cli: "the command line",
    code_label: "Code from your authenticator app",
    code_help: "A 6-digit code just shown (or a recovery code) confirms the action.",
    button_on: "Interrupt the service",
    button_off: "Restore the service",
    err_reason: "Give the reason for the lockdown.",
    err_code: "Wrong, expired or already used code.",
    notice_off: "Service restored.",
    banner_prefix: "Service interrupted for security reasons",
    backup_failed: "The last scheduled backup failed:",
    backup_ok: "Last scheduled backup succeeded:",
    review_done_title: "Yearly review done",
    review_done_help: "Record, for each organisation, the yearly access review: who did it, when, and what was changed. These lines are added to the CSV export.",
    review_done_org: "Organisation",
    review_done_changes: "What was changed",
    review_done_button: "Record the review",
    review_done_none: "No review recorded.",
    err_review_org: "Choose an organisation.",
};

//! The words of the platform administrators' pages, in French (the default) and English.
//!
//! Kept apart from [`crate::i18n::Strings`] so the administration pages grow without touching the
//! texts every other page shares; reached as `lang.admin()`. As there, one field per text and one
//! instance per language: the compiler refuses a text that exists in one language only.

use crate::i18n::Lang;

impl Lang {
    /// The administration pages' texts in this language.
    pub fn admin(self) -> &'static AdminStrings {
        match self {
            Lang::Fr => &ADMIN_FR,
            Lang::En => &ADMIN_EN,
        }
    }
}

impl AdminStrings {
    /// An organisation kind's name, from its stored word (`bailleur`, `epci`, `consultancy`, `other`).
    pub fn org_kind(&self, kind: &str) -> &'static str {
        match (self.lang, kind) {
            (Lang::Fr, "bailleur") => "bailleur social",
            (Lang::Fr, "epci") => "EPCI (intercommunalité)",
            (Lang::Fr, "consultancy") => "bureau d'études",
            (Lang::Fr, "other") => "autre",
            (Lang::En, "bailleur") => "social landlord",
            (Lang::En, "epci") => "EPCI (inter-municipal body)",
            (Lang::En, "consultancy") => "consultancy",
            (Lang::En, "other") => "other",
            (Lang::Fr, _) => "type inconnu",
            (Lang::En, _) => "unknown kind",
        }
    }

    /// An audit outcome's name, from its stored word (`success`, `denied`, `failed`).
    pub fn outcome_name(&self, outcome: &str) -> &'static str {
        match (self.lang, outcome) {
            (Lang::Fr, "success") => "succès",
            (Lang::Fr, "denied") => "refusé",
            (Lang::Fr, "failed") => "échec",
            (Lang::En, "success") => "success",
            (Lang::En, "denied") => "denied",
            (Lang::En, "failed") => "failed",
            (Lang::Fr, _) => "inconnu",
            (Lang::En, _) => "unknown",
        }
    }

    /// An audit action in words; an action this table does not know is shown as its code.
    pub fn action_name(&self, action: &str) -> String {
        let (fr, en) = match action {
            "auth.login" => ("connexion", "sign-in"),
            "auth.login_failed" => ("échec de connexion", "failed sign-in"),
            "auth.logout" => ("déconnexion", "sign-out"),
            "charter.accept" => ("acceptation de la charte", "terms of use accepted"),
            "auth.password_change" => ("changement de mot de passe", "password change"),
            "audit.read" => ("consultation du journal", "audit trail read"),
            "file.upload" => ("dépôt de fichier", "file upload"),
            "file.download" => ("téléchargement", "download"),
            "file.delete" => ("suppression de fichier", "file deletion"),
            "file.release" => ("mise à disposition", "release"),
            "file.destroy" => ("destruction de fichier", "file destruction"),
            "file.list" => ("consultation de la liste des fichiers", "file list viewed"),
            "file.inspect" => ("consultation d'un fichier", "file details viewed"),
            "file.confirm" => ("confirmation d'un dépôt", "deposit confirmed"),
            "file.quarantine" => ("mise en quarantaine", "quarantine"),
            "file.virus" => (
                "virus détecté, fichier supprimé",
                "virus found, file removed",
            ),
            "file.scan_held" => (
                "analyse antivirus impossible, fichier retenu",
                "antivirus scan not done, file held",
            ),
            "file.scan" => ("analyse antivirus réussie", "antivirus scan passed"),
            "file.expiry" => ("date de destruction d'un fichier", "file expiry set"),
            "mission.create" => ("création de la mission", "mission created"),
            "mission.update" => ("modification de la mission", "mission changed"),
            "mission.view" => ("consultation de la mission", "mission viewed"),
            "mission.participant_add" => ("ajout d'un participant", "participant added"),
            "mission.participant_remove" => ("retrait d'un participant", "participant removed"),
            "mission.suspend" => ("suspension de la mission", "mission suspended"),
            "mission.resume" => ("reprise de la mission", "mission resumed"),
            "mission.close" => ("clôture de la mission", "mission closed"),
            "mission.end" => ("fin de la mission", "mission ended"),
            "mission.destroy" => ("destruction de la mission", "mission destroyed"),
            "mission.warning" => ("avertissement de fin de mission", "end-of-mission warning"),
            "mission.register" => (
                "export du registre des traitements",
                "register of processing exported",
            ),
            "organisation.create" => ("création d'un organisme", "organisation created"),
            "user.create" => ("création d'un compte", "account created"),
            "user.disable" => ("désactivation d'un compte", "account disabled"),
            "user.reset" => ("réinitialisation d'un compte", "account reset"),
            "user.enable" => ("réactivation d'un compte", "account enabled again"),
            "user.update" => ("modification d'un compte", "account changed"),
            "organisation.update" => ("modification d'un organisme", "organisation changed"),
            "notification.send" => ("notification envoyée", "notification sent"),
            "notification.settings" => (
                "choix de notifications modifiés",
                "notification choices changed",
            ),
            "account.session_end" => (
                "fin d'une session par son titulaire",
                "session ended by its owner",
            ),
            "account.recovery_codes" => ("nouveaux codes de secours", "new recovery codes"),
            "account.totp_reenrol" => ("nouvel authentificateur", "new authenticator"),
            "account.passkey_add" => ("clé d'accès ajoutée", "passkey added"),
            "account.passkey_remove" => ("clé d'accès retirée", "passkey removed"),
            "account.totp_remove" => (
                "application d'authentification retirée",
                "authenticator app removed",
            ),
            "auth.password_reset_request" => (
                "demande de lien de réinitialisation",
                "reset link asked for",
            ),
            "auth.password_reset" => (
                "mot de passe réinitialisé par lien",
                "password reset by link",
            ),
            "user.invitation_send" => ("invitation envoyée", "invitation sent"),
            "user.invitation_revoke" => ("invitation retirée", "invitation withdrawn"),
            "user.invitation_accept" => ("invitation acceptée", "invitation accepted"),
            "platform.lockdown_on" => (
                "service interrompu pour raison de sécurité",
                "service locked down for security reasons",
            ),
            "platform.lockdown_off" => ("service rétabli", "service restored"),
            "backup.scheduled" => ("sauvegarde programmée", "scheduled backup"),
            "user.inactivity_warning" => (
                "avertissement avant désactivation pour inactivité",
                "inactivity warning before disabling",
            ),
            "review.done" => (
                "revue annuelle des accès faite",
                "yearly access review done",
            ),
            "incident.report" => ("rapport d'incident généré", "incident report generated"),
            "platform.register" => (
                "registre des traitements de la plateforme consulté",
                "platform register of processing read",
            ),
            other => return other.to_owned(),
        };
        match self.lang {
            Lang::Fr => fr.to_owned(),
            Lang::En => en.to_owned(),
        }
    }

    /// "The organisation « X » has been created."
    pub fn org_created(&self, name: &str) -> String {
        match self.lang {
            Lang::Fr => format!("L'organisme « {name} » a été créé."),
            Lang::En => format!("The organisation “{name}” has been created."),
        }
    }

    /// "The mission « X » has been created."
    pub fn mission_created(&self, name: &str) -> String {
        match self.lang {
            Lang::Fr => format!("La mission « {name} » a été créée."),
            Lang::En => format!("The mission “{name}” has been created."),
        }
    }

    /// "X's account has been disabled: its sessions were ended."
    pub fn user_disabled(&self, name: &str) -> String {
        match self.lang {
            Lang::Fr => format!(
                "Le compte de {name} est désactivé : ses sessions en cours ont été fermées."
            ),
            Lang::En => format!("{name}'s account is disabled: its open sessions were ended."),
        }
    }

    /// The count at the top of the access review.
    pub fn inactive_count(&self, count: usize, days: i64) -> String {
        match (self.lang, count) {
            (Lang::Fr, 0) => {
                format!(
                    "Aucun compte actif n'est resté sans connexion depuis {days} jours ou plus."
                )
            }
            (Lang::Fr, 1) => {
                format!("1 compte actif est sans connexion depuis {days} jours ou plus.")
            }
            (Lang::Fr, n) => {
                format!("{n} comptes actifs sont sans connexion depuis {days} jours ou plus.")
            }
            (Lang::En, 0) => {
                format!("No active account has gone {days} days or more without signing in.")
            }
            (Lang::En, 1) => format!("1 active account has not signed in for {days} days or more."),
            (Lang::En, n) => {
                format!("{n} active accounts have not signed in for {days} days or more.")
            }
        }
    }

    /// How long an account has gone without a login, in days; `never` when it never signed in
    /// (the days then count from its creation).
    pub fn days_without_login(&self, days: i64, never: bool) -> String {
        let plural = if days > 1 { "s" } else { "" };
        match (self.lang, never, days) {
            (Lang::Fr, false, ..=0) => "connecté aujourd'hui".to_owned(),
            (Lang::Fr, true, ..=0) => "jamais connecté, compte créé aujourd'hui".to_owned(),
            (Lang::En, false, ..=0) => "signed in today".to_owned(),
            (Lang::En, true, ..=0) => "never signed in, account created today".to_owned(),
            (Lang::Fr, false, _) => format!("sans connexion depuis {days} jour{plural}"),
            (Lang::Fr, true, _) => {
                format!("jamais connecté, compte créé il y a {days} jour{plural}")
            }
            (Lang::En, false, _) => format!("no sign-in for {days} day{plural}"),
            (Lang::En, true, _) => {
                format!("never signed in, account created {days} day{plural} ago")
            }
        }
    }

    /// "N events match." above the audit table.
    pub fn events_count(&self, count: i64) -> String {
        match (self.lang, count) {
            (Lang::Fr, 0 | 1) => format!("{count} événement correspond aux filtres."),
            (Lang::Fr, n) => format!("{n} événements correspondent aux filtres."),
            (Lang::En, 1) => "1 event matches the filters.".to_owned(),
            (Lang::En, n) => format!("{n} events match the filters."),
        }
    }

    /// "page P of N".
    pub fn page_of(&self, page: i64, pages: i64) -> String {
        match self.lang {
            Lang::Fr => format!("page {page} sur {pages}"),
            Lang::En => format!("page {page} of {pages}"),
        }
    }
}

/// Every text of the administration pages in one language.
#[derive(Debug)]
pub struct AdminStrings {
    /// The language of these texts (for the wordings built from values).
    lang: Lang,
    /// The link on the home page, the index's title, the start of every admin page's breadcrumb.
    pub admin_title: &'static str,
    /// The index's introduction.
    pub admin_intro: &'static str,
    /// Accessible name of the index's list of sections.
    pub sections_label: &'static str,
    /// Link back to the index.
    pub back_admin: &'static str,
    /// Link to a CSV export.
    pub csv_export: &'static str,
    /// Cancel link of a confirmation.
    pub cancel: &'static str,
    /// A date that was never set (a login that never happened).
    pub never: &'static str,
    /// "yes".
    pub yes: &'static str,
    /// "no".
    pub no: &'static str,

    /// Organisations: title.
    pub orgs_title: &'static str,
    /// Organisations: what the section is for (index).
    pub orgs_summary: &'static str,
    /// Organisations: table caption.
    pub orgs_caption: &'static str,
    /// Organisations: none yet.
    pub no_orgs: &'static str,
    /// Organisations: name column and field label.
    pub org_name_label: &'static str,
    /// Organisations: kind column and field label.
    pub org_kind_label: &'static str,
    /// Organisations: the empty choice of the kind list.
    pub org_kind_choose: &'static str,
    /// Organisations: form heading.
    pub new_org_heading: &'static str,
    /// Organisations: create button.
    pub org_create_submit: &'static str,
    /// Organisations: empty name.
    pub err_org_name_empty: &'static str,
    /// Organisations: no kind chosen.
    pub err_org_kind: &'static str,

    /// Accounts: title.
    pub users_title: &'static str,
    /// Accounts: what the section is for (index).
    pub users_summary: &'static str,
    /// Accounts: table caption.
    pub users_caption: &'static str,
    /// Accounts: none yet.
    pub no_users: &'static str,
    /// Accounts: username column and field label.
    pub username_label: &'static str,
    /// Accounts: username hint.
    pub username_hint: &'static str,
    /// Accounts: name column and field label.
    pub display_name_label: &'static str,
    /// Accounts: name hint.
    pub display_name_hint: &'static str,
    /// Accounts: e-mail field label.
    pub email_label: &'static str,
    /// Accounts: organisation column and field label.
    pub organisation_label: &'static str,
    /// Accounts: the empty choice of the organisation list.
    pub org_choose: &'static str,
    /// Accounts: state column.
    pub state_label: &'static str,
    /// Accounts: last login column.
    pub last_login_label: &'static str,
    /// Accounts: actions column.
    pub actions_label: &'static str,
    /// Accounts: an enabled account.
    pub state_active: &'static str,
    /// Accounts: a disabled account.
    pub state_disabled: &'static str,
    /// Accounts: mark of a platform administrator.
    pub platform_admin_mark: &'static str,
    /// Accounts: link to the creation form.
    pub new_user_link: &'static str,
    /// Accounts: disable link.
    pub disable_action: &'static str,
    /// Accounts: reset link.
    pub reset_action: &'static str,
    /// Accounts: creation title.
    pub new_user_title: &'static str,
    /// Accounts: creation introduction.
    pub new_user_intro: &'static str,
    /// Accounts: no organisation exists yet.
    pub new_user_needs_org: &'static str,
    /// Accounts: legend of the platform administrator choice.
    pub platform_admin_legend: &'static str,
    /// Accounts: hint of the platform administrator choice.
    pub platform_admin_hint: &'static str,
    /// Accounts: create button.
    pub user_create_submit: &'static str,
    /// Accounts: empty username.
    pub err_username_empty: &'static str,
    /// Accounts: empty name.
    pub err_display_name_empty: &'static str,
    /// Accounts: empty e-mail.
    pub err_email_empty: &'static str,
    /// Accounts: no organisation chosen.
    pub err_org_choose: &'static str,

    /// Temporary password: title after a creation.
    pub created_title: &'static str,
    /// Temporary password: title after a reset.
    pub reset_done_title: &'static str,
    /// Temporary password: before the account's name after a creation.
    pub created_intro: &'static str,
    /// Temporary password: before the account's name after a reset.
    pub reset_intro: &'static str,
    /// Temporary password: what the reset did.
    pub reset_effects_done: &'static str,
    /// Temporary password: caption of the password.
    pub temp_password_caption: &'static str,
    /// Temporary password: shown once.
    pub temp_password_once: &'static str,
    /// Temporary password: through another channel.
    pub temp_password_channel: &'static str,
    /// Temporary password: what happens at first login.
    pub temp_password_next: &'static str,
    /// Link back to the accounts.
    pub back_users: &'static str,

    /// Disable confirmation: title.
    pub disable_title: &'static str,
    /// Disable confirmation: what it does.
    pub disable_effects: &'static str,
    /// Disable confirmation: button.
    pub disable_confirm: &'static str,
    /// Disable confirmation: the account is already disabled.
    pub already_disabled: &'static str,
    /// Reset confirmation: title.
    pub reset_title: &'static str,
    /// Reset confirmation: what it does.
    pub reset_effects: &'static str,
    /// Reset confirmation: button.
    pub reset_confirm: &'static str,
    /// Confirmations: the account's own heading.
    pub account_heading: &'static str,
    /// Confirmations: warning when the account is the admin's own.
    pub own_account_warning: &'static str,

    /// Access review: title.
    pub review_title: &'static str,
    /// Access review: what the section is for (index).
    pub review_summary: &'static str,
    /// Access review: introduction.
    pub review_intro: &'static str,
    /// Access review: table caption.
    pub review_caption: &'static str,
    /// Access review: account column.
    pub account_col: &'static str,
    /// Access review: missions and roles column.
    pub missions_roles_col: &'static str,
    /// Access review: activity column.
    pub activity_col: &'static str,
    /// Access review: an account without a mission.
    pub no_mission: &'static str,
    /// Access review: prefix marking an inactive account (with its visible highlight).
    pub inactive_prefix: &'static str,
    /// Access review: an account signed in recently.
    pub recently_active: &'static str,
    /// Access review: an account that is disabled (its activity does not matter).
    pub disabled_activity: &'static str,

    /// Audit trail: title.
    pub journal_title: &'static str,
    /// Audit trail: what the section is for (index).
    pub journal_summary: &'static str,
    /// Audit trail: introduction.
    pub journal_intro: &'static str,
    /// Audit trail: legend of the filters.
    pub filters_legend: &'static str,
    /// Audit trail: mission filter label.
    pub filter_mission: &'static str,
    /// Audit trail: every mission.
    pub all_missions: &'static str,
    /// Audit trail: person filter label.
    pub filter_person: &'static str,
    /// Audit trail: every person.
    pub all_people: &'static str,
    /// Audit trail: the gateway itself as the actor.
    pub gateway_actor: &'static str,
    /// Audit trail: action filter label.
    pub filter_action: &'static str,
    /// Audit trail: every action.
    pub all_actions: &'static str,
    /// Audit trail: outcome filter label.
    pub filter_outcome: &'static str,
    /// Audit trail: every outcome.
    pub all_outcomes: &'static str,
    /// Audit trail: start date label.
    pub filter_from: &'static str,
    /// Audit trail: end date label.
    pub filter_to: &'static str,
    /// Audit trail: date hint.
    pub date_hint: &'static str,
    /// Audit trail: filter button.
    pub filter_submit: &'static str,
    /// Audit trail: link clearing the filters.
    pub clear_filters: &'static str,
    /// Audit trail: an unreadable date.
    pub err_date: &'static str,
    /// Audit trail: the end date precedes the start date.
    pub err_date_order: &'static str,
    /// Audit trail: table caption.
    pub journal_caption: &'static str,
    /// Audit trail: nothing matches.
    pub no_events: &'static str,
    /// Audit trail: sequence number column.
    pub seq_col: &'static str,
    /// Audit trail: date column.
    pub date_col: &'static str,
    /// Audit trail: person column.
    pub person_col: &'static str,
    /// Audit trail: operation column.
    pub operation_col: &'static str,
    /// Audit trail: mission column.
    pub mission_col: &'static str,
    /// Audit trail: data column.
    pub data_col: &'static str,
    /// Audit trail: outcome column.
    pub outcome_col: &'static str,
    /// Audit trail: source address column.
    pub ip_col: &'static str,
    /// Audit trail: before a file's name.
    pub data_file: &'static str,
    /// Audit trail: before an account's name.
    pub data_account: &'static str,
    /// Audit trail: before an organisation's name.
    pub data_org: &'static str,
    /// Audit trail: accessible name of the pagination.
    pub pagination_label: &'static str,
    /// Audit trail: previous page.
    pub previous_page: &'static str,
    /// Audit trail: next page.
    pub next_page: &'static str,
    /// Audit trail: what the CSV export holds.
    pub journal_csv_hint: &'static str,

    /// Certificates: title.
    pub certs_title: &'static str,
    /// Certificates: what the section is for (index).
    pub certs_summary: &'static str,
    /// Certificates: introduction.
    pub certs_intro: &'static str,
    /// Certificates: table caption.
    pub certs_caption: &'static str,
    /// Certificates: none yet.
    pub no_certs: &'static str,
    /// Certificates: controller organisation column.
    pub controller_col: &'static str,
    /// Certificates: destruction date column.
    pub destroyed_col: &'static str,
    /// Certificates: certificate column.
    pub certificate_col: &'static str,
    /// Certificates: printable version link.
    pub printable: &'static str,
    /// Certificates: JSON link.
    pub signed_json: &'static str,

    /// Missions: title.
    pub missions_title: &'static str,
    /// Missions: what the section is for (index).
    pub missions_summary: &'static str,
    /// Missions: table caption.
    pub missions_caption: &'static str,
    /// Missions: none yet.
    pub no_missions: &'static str,
    /// Missions: link to the creation form.
    pub new_mission_link: &'static str,
    /// Missions: creation title.
    pub new_mission_title: &'static str,
    /// Missions: creation introduction.
    pub new_mission_intro: &'static str,
    /// Missions: reminder above the form, which has an optional field.
    pub mission_required_hint: &'static str,
    /// Missions: name column and field label.
    pub mission_name_label: &'static str,
    /// Missions: purpose field label.
    pub purpose_label: &'static str,
    /// Missions: purpose hint.
    pub purpose_hint: &'static str,
    /// Missions: controller field label.
    pub controller_label: &'static str,
    /// Missions: controller hint.
    pub controller_hint: &'static str,
    /// Missions: end date field label.
    pub ends_label: &'static str,
    /// Missions: end date hint.
    pub ends_hint: &'static str,
    /// Missions: retention date field label.
    pub retained_label: &'static str,
    /// Missions: retention date hint.
    pub retained_hint: &'static str,
    /// Missions: status column.
    pub status_col: &'static str,
    /// Missions: end date column.
    pub ends_col: &'static str,
    /// Missions: retention column.
    pub retained_col: &'static str,
    /// Missions: no retention date.
    pub not_retained: &'static str,
    /// Missions: create button.
    pub mission_create_submit: &'static str,
    /// Missions: empty name.
    pub err_mission_name_empty: &'static str,
    /// Missions: empty purpose.
    pub err_purpose_empty: &'static str,
    /// Missions: no controller chosen.
    pub err_controller: &'static str,
    /// Missions: no end date.
    pub err_ends_empty: &'static str,
    /// Missions: end date in the past.
    pub err_ends_past: &'static str,
    /// Missions: retention before the end.
    pub err_retained_before_end: &'static str,
}

/// French texts of the administration pages.
pub static ADMIN_FR: AdminStrings = AdminStrings {
    lang: Lang::Fr,
    admin_title: "Administration",
    admin_intro: "Gérez les organismes, les comptes et les missions de la plateforme, et contrôlez qui accède à quoi.",
    sections_label: "Rubriques de l'administration",
    back_admin: "Retour à l'administration",
    csv_export: "Exporter en CSV",
    cancel: "Annuler",
    never: "jamais",
    yes: "Oui",
    no: "Non",

    orgs_title: "Organismes",
    orgs_summary: "Bailleurs sociaux, EPCI, bureaux d'études : la liste et la création.",
    orgs_caption: "Organismes de la plateforme",
    no_orgs: "Aucun organisme pour l'instant.",
    org_name_label: "Nom de l'organisme",
    org_kind_label: "Type d'organisme",
    org_kind_choose: "Choisissez un type",
    new_org_heading: "Créer un organisme",
    org_create_submit: "Créer l'organisme",
    err_org_name_empty: "Saisissez le nom de l'organisme.",
    err_org_kind: "Choisissez le type d'organisme.",

    users_title: "Comptes",
    users_summary: "Les comptes personnels : création, désactivation, réinitialisation.",
    users_caption: "Comptes de la plateforme",
    no_users: "Aucun compte pour l'instant.",
    username_label: "Identifiant",
    username_hint: "De 3 à 64 caractères : lettres sans accent, chiffres, point, tiret, tiret bas ou @.",
    display_name_label: "Nom et prénom",
    display_name_hint: "Tel que les autres participants le verront.",
    email_label: "Adresse électronique professionnelle",
    organisation_label: "Organisme",
    org_choose: "Choisissez un organisme",
    state_label: "État",
    last_login_label: "Dernière connexion",
    actions_label: "Actions",
    state_active: "actif",
    state_disabled: "désactivé",
    platform_admin_mark: "administrateur de la plateforme",
    new_user_link: "Créer un compte",
    disable_action: "Désactiver",
    reset_action: "Réinitialiser",
    new_user_title: "Créer un compte",
    new_user_intro: "Le compte reçoit un mot de passe provisoire, affiché une seule fois après la création. À sa première connexion, la personne choisit son propre mot de passe puis active la double authentification.",
    new_user_needs_org: "Créez d'abord l'organisme de la personne.",
    platform_admin_legend: "Administrateur de la plateforme",
    platform_admin_hint: "Un administrateur gère les organismes, les comptes et les missions ; il ne lit aucun fichier sans rôle dans la mission.",
    user_create_submit: "Créer le compte",
    err_username_empty: "Saisissez un identifiant.",
    err_display_name_empty: "Saisissez le nom et le prénom de la personne.",
    err_email_empty: "Saisissez l'adresse électronique de la personne.",
    err_org_choose: "Choisissez l'organisme de la personne.",

    created_title: "Compte créé",
    reset_done_title: "Compte réinitialisé",
    created_intro: "Le compte est créé :",
    reset_intro: "Le compte est réinitialisé :",
    reset_effects_done: "Ses sessions ont été fermées ; sa double authentification et ses codes de secours ont été effacés.",
    temp_password_caption: "Mot de passe provisoire",
    temp_password_once: "Ce mot de passe ne sera plus jamais affiché : notez-le maintenant.",
    temp_password_channel: "Transmettez-le à la personne par un autre canal que son identifiant : par exemple l'identifiant par courriel et le mot de passe par téléphone ou de vive voix. Ne les envoyez jamais dans le même message.",
    temp_password_next: "À sa première connexion, la personne remplacera ce mot de passe par un mot de passe de son choix, puis activera la double authentification.",
    back_users: "Retour aux comptes",

    disable_title: "Désactiver un compte",
    disable_effects: "La personne ne pourra plus se connecter, et ses sessions en cours seront fermées immédiatement. Ses traces dans le journal d'audit sont conservées. Une désactivation ne s'annule pas depuis l'interface.",
    disable_confirm: "Désactiver le compte",
    already_disabled: "Ce compte est déjà désactivé.",
    reset_title: "Réinitialiser un compte",
    reset_effects: "Un nouveau mot de passe provisoire sera créé et affiché une seule fois. Les sessions de la personne seront fermées ; elle devra choisir un nouveau mot de passe et activer de nouveau la double authentification.",
    reset_confirm: "Réinitialiser le compte",
    account_heading: "Compte concerné",
    own_account_warning: "Attention : il s'agit de votre propre compte.",

    review_title: "Revue des accès",
    review_summary: "Chaque compte avec ses missions, ses rôles et sa dernière connexion ; les comptes inactifs sont signalés.",
    review_intro: "Chaque compte avec son organisme, ses missions et ses rôles, et sa dernière connexion (heure de Paris). Les missions détruites ne donnent plus aucun accès et ne sont pas listées.",
    review_caption: "Comptes, missions et rôles",
    account_col: "Compte",
    missions_roles_col: "Missions et rôles",
    activity_col: "Activité",
    no_mission: "aucune mission",
    inactive_prefix: "Inactif :",
    recently_active: "connexion récente",
    disabled_activity: "compte désactivé",

    journal_title: "Journal d'audit",
    journal_summary: "Toutes les opérations enregistrées, avec des filtres et un export CSV.",
    journal_intro: "Toutes les opérations enregistrées, de la plus récente à la plus ancienne, en heure de Paris.",
    filters_legend: "Filtrer le journal",
    filter_mission: "Mission",
    all_missions: "Toutes les missions",
    filter_person: "Personne",
    all_people: "Toutes les personnes",
    gateway_actor: "Passerelle (traitement automatique)",
    filter_action: "Opération",
    all_actions: "Toutes les opérations",
    filter_outcome: "Résultat",
    all_outcomes: "Tous les résultats",
    filter_from: "Du",
    filter_to: "Au",
    date_hint: "Au format JJ/MM/AAAA, inclus.",
    filter_submit: "Filtrer",
    clear_filters: "Effacer les filtres",
    err_date: "Date illisible : utilisez le format JJ/MM/AAAA.",
    err_date_order: "La date de fin précède la date de début.",
    journal_caption: "Événements du journal d'audit",
    no_events: "Aucun événement ne correspond à ces filtres.",
    seq_col: "N°",
    date_col: "Date",
    person_col: "Personne",
    operation_col: "Opération",
    mission_col: "Mission",
    data_col: "Données",
    outcome_col: "Résultat",
    ip_col: "Adresse IP",
    data_file: "fichier",
    data_account: "compte",
    data_org: "organisme",
    pagination_label: "Pages du journal",
    previous_page: "Page précédente",
    next_page: "Page suivante",
    journal_csv_hint: "L'export contient tous les événements filtrés (pas seulement cette page), du plus ancien au plus récent ; il s'ouvre dans un tableur (UTF-8, séparateur point-virgule).",

    certs_title: "Certificats de destruction",
    certs_summary: "Les missions détruites et leur certificat signé, imprimable.",
    certs_intro: "Les missions détruites et leur certificat de destruction signé. La version JSON se vérifie hors ligne avec la commande « passerelle certificate verify ».",
    certs_caption: "Missions détruites",
    no_certs: "Aucune mission n'a encore été détruite.",
    controller_col: "Organisme responsable",
    destroyed_col: "Détruite le",
    certificate_col: "Certificat",
    printable: "Version imprimable",
    signed_json: "JSON signé",

    missions_title: "Missions",
    missions_summary: "Toutes les missions et la création d'une mission.",
    missions_caption: "Missions de la plateforme",
    no_missions: "Aucune mission pour l'instant.",
    new_mission_link: "Créer une mission",
    new_mission_title: "Créer une mission",
    new_mission_intro: "Une mission réunit, sous une convention de partage de données, les participants d'une étude. Sa clé de chiffrement est créée avec elle ; ses participants s'ajoutent ensuite depuis la page de la mission.",
    mission_required_hint: "Tous les champs sont obligatoires ; la date de conservation, seulement si vous choisissez de conserver les résultats.",
    mission_name_label: "Nom de la mission",
    purpose_label: "Finalité",
    purpose_hint: "La finalité prévue par la convention de partage des données.",
    controller_label: "Organisme responsable",
    controller_hint: "L'organisme qui détient les données, en général le bailleur.",
    ends_label: "Date de fin",
    ends_hint: "Au format JJ/MM/AAAA. La mission se termine ce jour-là à 23 h 59 (heure de Paris) : ses dépôts et ses résultats non mis à disposition sont alors détruits.",
    retained_label: "Conserver les résultats mis à disposition jusqu'au",
    retained_hint: "Au format JJ/MM/AAAA, si vous avez choisi de les conserver ; pas avant la fin de la mission.",
    status_col: "État",
    ends_col: "Fin",
    retained_col: "Résultats conservés jusqu'au",
    not_retained: "non conservés",
    mission_create_submit: "Créer la mission",
    err_mission_name_empty: "Saisissez le nom de la mission.",
    err_purpose_empty: "Saisissez la finalité de la mission.",
    err_controller: "Choisissez l'organisme responsable.",
    err_ends_empty: "Saisissez la date de fin de la mission.",
    err_ends_past: "La date de fin doit être dans le futur.",
    err_retained_before_end: "La conservation des résultats ne peut pas finir avant la mission.",
};

/// English texts of the administration pages.
pub static ADMIN_EN: AdminStrings = AdminStrings {
    lang: Lang::En,
    admin_title: "Administration",
    admin_intro: "Manage the platform's organisations, accounts and missions, and check who can access what.",
    sections_label: "Administration sections",
    back_admin: "Back to administration",
    csv_export: "Export as CSV",
    cancel: "Cancel",
    never: "never",
    yes: "Yes",
    no: "No",

    orgs_title: "Organisations",
    orgs_summary: "Social landlords, EPCI, consultancies: the list and creation.",
    orgs_caption: "Organisations of the platform",
    no_orgs: "No organisation yet.",
    org_name_label: "Organisation name",
    org_kind_label: "Organisation kind",
    org_kind_choose: "Choose a kind",
    new_org_heading: "Create an organisation",
    org_create_submit: "Create the organisation",
    err_org_name_empty: "Enter the organisation's name.",
    err_org_kind: "Choose the organisation's kind.",

    users_title: "Accounts",
    users_summary: "Personal accounts: creation, disabling, reset.",
    users_caption: "Accounts of the platform",
    no_users: "No account yet.",
    username_label: "Username",
    username_hint: "3 to 64 characters: unaccented letters, digits, dot, dash, underscore or @.",
    display_name_label: "Full name",
    display_name_hint: "As the other participants will see it.",
    email_label: "Work e-mail address",
    organisation_label: "Organisation",
    org_choose: "Choose an organisation",
    state_label: "State",
    last_login_label: "Last sign-in",
    actions_label: "Actions",
    state_active: "active",
    state_disabled: "disabled",
    platform_admin_mark: "platform administrator",
    new_user_link: "Create an account",
    disable_action: "Disable",
    reset_action: "Reset",
    new_user_title: "Create an account",
    new_user_intro: "The account gets a temporary password, shown only once after creation. At first sign-in, the person chooses their own password, then turns on two-step verification.",
    new_user_needs_org: "First create the person's organisation.",
    platform_admin_legend: "Platform administrator",
    platform_admin_hint: "An administrator manages organisations, accounts and missions; it reads no file without a role in the mission.",
    user_create_submit: "Create the account",
    err_username_empty: "Enter a username.",
    err_display_name_empty: "Enter the person's full name.",
    err_email_empty: "Enter the person's e-mail address.",
    err_org_choose: "Choose the person's organisation.",

    created_title: "Account created",
    reset_done_title: "Account reset",
    created_intro: "The account is created:",
    reset_intro: "The account is reset:",
    reset_effects_done: "Its sessions were ended; its two-step verification and recovery codes were erased.",
    temp_password_caption: "Temporary password",
    temp_password_once: "This password will never be shown again: write it down now.",
    temp_password_channel: "Give it to the person through another channel than their username: for example the username by e-mail and the password by phone or in person. Never send both in the same message.",
    temp_password_next: "At first sign-in, the person will replace this password with one of their choice, then turn on two-step verification.",
    back_users: "Back to accounts",

    disable_title: "Disable an account",
    disable_effects: "The person will no longer be able to sign in, and their open sessions will end at once. Their entries in the audit trail are kept. Disabling cannot be undone from the interface.",
    disable_confirm: "Disable the account",
    already_disabled: "This account is already disabled.",
    reset_title: "Reset an account",
    reset_effects: "A new temporary password will be created and shown only once. The person's sessions will end; they will have to choose a new password and turn on two-step verification again.",
    reset_confirm: "Reset the account",
    account_heading: "Account concerned",
    own_account_warning: "Warning: this is your own account.",

    review_title: "Access review",
    review_summary: "Every account with its missions, roles and last sign-in; inactive accounts are flagged.",
    review_intro: "Every account with its organisation, its missions and roles, and its last sign-in (Paris time). Destroyed missions no longer give any access and are not listed.",
    review_caption: "Accounts, missions and roles",
    account_col: "Account",
    missions_roles_col: "Missions and roles",
    activity_col: "Activity",
    no_mission: "no mission",
    inactive_prefix: "Inactive:",
    recently_active: "recent sign-in",
    disabled_activity: "account disabled",

    journal_title: "Audit trail",
    journal_summary: "Every recorded operation, with filters and a CSV export.",
    journal_intro: "Every recorded operation, newest first, in Paris time.",
    filters_legend: "Filter the trail",
    filter_mission: "Mission",
    all_missions: "All missions",
    filter_person: "Person",
    all_people: "Everyone",
    gateway_actor: "Passerelle (automatic processing)",
    filter_action: "Operation",
    all_actions: "All operations",
    filter_outcome: "Outcome",
    all_outcomes: "All outcomes",
    filter_from: "From",
    filter_to: "To",
    date_hint: "Written DD/MM/YYYY, included.",
    filter_submit: "Filter",
    clear_filters: "Clear the filters",
    err_date: "Unreadable date: write it DD/MM/YYYY.",
    err_date_order: "The end date comes before the start date.",
    journal_caption: "Audit trail events",
    no_events: "No event matches these filters.",
    seq_col: "No.",
    date_col: "Date",
    person_col: "Person",
    operation_col: "Operation",
    mission_col: "Mission",
    data_col: "Data",
    outcome_col: "Outcome",
    ip_col: "IP address",
    data_file: "file",
    data_account: "account",
    data_org: "organisation",
    pagination_label: "Trail pages",
    previous_page: "Previous page",
    next_page: "Next page",
    journal_csv_hint: "The export holds every filtered event (not only this page), oldest first; it opens in a spreadsheet (UTF-8, semicolon-separated, in French).",

    certs_title: "Destruction certificates",
    certs_summary: "Destroyed missions and their signed, printable certificate.",
    certs_intro: "Destroyed missions and their signed destruction certificate. The JSON version is checked offline with the command “passerelle certificate verify”.",
    certs_caption: "Destroyed missions",
    no_certs: "No mission has been destroyed yet.",
    controller_col: "Controller organisation",
    destroyed_col: "Destroyed on",
    certificate_col: "Certificate",
    printable: "Printable version",
    signed_json: "Signed JSON",

    missions_title: "Missions",
    missions_summary: "Every mission, and creating a mission.",
    missions_caption: "Missions of the platform",
    no_missions: "No mission yet.",
    new_mission_link: "Create a mission",
    new_mission_title: "Create a mission",
    new_mission_intro: "A mission brings together, under one data-sharing agreement, the participants of a study. Its encryption key is created with it; its participants are added afterwards from the mission's page.",
    mission_required_hint: "All fields are required; the retention date only if you choose to keep the results.",
    mission_name_label: "Mission name",
    purpose_label: "Purpose",
    purpose_hint: "The purpose set by the data-sharing agreement.",
    controller_label: "Controller organisation",
    controller_hint: "The organisation that owns the data, usually the social landlord.",
    ends_label: "End date",
    ends_hint: "Written DD/MM/YYYY. The mission ends that day at 23:59 (Paris time): its deposits and unreleased results are then destroyed.",
    retained_label: "Keep released results until",
    retained_hint: "Written DD/MM/YYYY, if you chose to keep them; not before the end of the mission.",
    status_col: "Status",
    ends_col: "End",
    retained_col: "Results kept until",
    not_retained: "not kept",
    mission_create_submit: "Create the mission",
    err_mission_name_empty: "Enter the mission's name.",
    err_purpose_empty: "Enter the mission's purpose.",
    err_controller: "Choose the controller organisation.",
    err_ends_empty: "Enter the mission's end date.",
    err_ends_past: "The end date must be in the future.",
    err_retained_before_end: "Results cannot be kept for less time than the mission lasts.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_are_reachable() {
        assert_eq!(Lang::Fr.admin().admin_title, "Administration");
        assert_eq!(Lang::En.admin().review_title, "Access review");
        assert_eq!(Lang::Fr.admin().inactive_prefix, "Inactif :");
    }

    #[test]
    fn kinds_outcomes_and_actions() {
        assert_eq!(Lang::Fr.admin().org_kind("consultancy"), "bureau d'études");
        assert_eq!(Lang::En.admin().org_kind("bailleur"), "social landlord");
        assert_eq!(Lang::Fr.admin().outcome_name("denied"), "refusé");
        assert_eq!(
            Lang::Fr.admin().action_name("user.disable"),
            "désactivation d'un compte"
        );
        assert_eq!(Lang::En.admin().action_name("auth.login"), "sign-in");
        assert_eq!(
            Lang::En.admin().action_name("something.new"),
            "something.new"
        );
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert!(Lang::Fr
            .admin()
            .inactive_count(0, 90)
            .starts_with("Aucun compte"));
        assert!(Lang::Fr
            .admin()
            .inactive_count(1, 90)
            .starts_with("1 compte actif est"));
        assert!(Lang::Fr
            .admin()
            .inactive_count(3, 90)
            .starts_with("3 comptes actifs sont"));
        assert!(Lang::En
            .admin()
            .inactive_count(2, 90)
            .contains("90 days or more"));
        assert_eq!(
            Lang::Fr.admin().days_without_login(120, false),
            "sans connexion depuis 120 jours"
        );
        assert_eq!(
            Lang::En.admin().days_without_login(1, true),
            "never signed in, account created 1 day ago"
        );
        assert_eq!(
            Lang::Fr.admin().days_without_login(0, false),
            "connecté aujourd'hui"
        );
        assert_eq!(
            Lang::En.admin().days_without_login(0, true),
            "never signed in, account created today"
        );
        assert_eq!(
            Lang::Fr.admin().events_count(1),
            "1 événement correspond aux filtres."
        );
        assert_eq!(
            Lang::En.admin().events_count(0),
            "0 events match the filters."
        );
        assert_eq!(Lang::Fr.admin().page_of(2, 5), "page 2 sur 5");
    }
}

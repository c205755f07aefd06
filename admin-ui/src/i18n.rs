//! The interface's words, in French (the default) and English.
//!
//! Every text lives in [`Strings`], one field per text, with one instance per language: the
//! compiler refuses a text that exists in one language only.

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 code, for `<html lang>` and the `lang` cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language named by a code (`fr` or `en`).
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, offered by the language switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The language's name written in that language ("Français", "English").
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// The texts in this language.
    pub fn t(self) -> &'static Strings {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// "Too many failed attempts: try again in N minute(s)."
    pub fn too_many_attempts(self, retry_after_secs: u64) -> String {
        let minutes = retry_after_secs.div_ceil(60).max(1);
        match (self, minutes) {
            (Lang::Fr, 1) => {
                "Trop de tentatives infructueuses : réessayez dans 1 minute.".to_owned()
            }
            (Lang::Fr, m) => {
                format!("Trop de tentatives infructueuses : réessayez dans {m} minutes.")
            }
            (Lang::En, 1) => "Too many failed attempts: try again in 1 minute.".to_owned(),
            (Lang::En, m) => format!("Too many failed attempts: try again in {m} minutes."),
        }
    }

    /// "Without activity, your session will end in N minutes."
    pub fn idle_note(self, minutes: i64) -> String {
        let minutes = minutes.max(0);
        match (self, minutes) {
            (Lang::Fr, 0 | 1) => format!(
                "Sans activité de votre part, votre session se fermera dans {minutes} minute."
            ),
            (Lang::Fr, m) => {
                format!("Sans activité de votre part, votre session se fermera dans {m} minutes.")
            }
            (Lang::En, 1) => "Without activity, your session will end in 1 minute.".to_owned(),
            (Lang::En, m) => format!("Without activity, your session will end in {m} minutes."),
        }
    }

    /// A mission role's name, from its stored word (`manager`, `depositor`, `processor`,
    /// `recipient`), as the glossary says it.
    pub fn role_name(self, role: &str) -> &'static str {
        match (crate::glossary::Term::role(role), self) {
            (Some(term), lang) => term.in_lang(lang),
            (None, Lang::Fr) => "rôle inconnu",
            (None, Lang::En) => "unknown role",
        }
    }

    /// Who granted a role and when, as shown in the participants list (`at` already worded).
    pub fn role_granted(self, role: &str, by: &str, at: &str) -> String {
        match self {
            Lang::Fr => format!("{} accordé par {by} le {at}", self.role_name(role)),
            Lang::En => format!("{} granted by {by} on {at}", self.role_name(role)),
        }
    }

    /// A mission status's name, from its stored word (`active`, `suspended`, `ended`, `destroyed`).
    pub fn mission_status(self, status: &str) -> &'static str {
        match (self, status) {
            (Lang::Fr, "active") => "en cours",
            (Lang::Fr, "suspended") => "suspendue",
            (Lang::Fr, "ended") => "terminée",
            (Lang::Fr, "destroyed") => "détruite",
            (Lang::En, "active") => "in progress",
            (Lang::En, "suspended") => "suspended",
            (Lang::En, "ended") => "ended",
            (Lang::En, "destroyed") => "destroyed",
            (Lang::Fr, _) => "état inconnu",
            (Lang::En, _) => "unknown status",
        }
    }

    /// The time left before a mission's end, in words: under a day in whole hours, beyond in days
    /// rounded to the nearest; `ended` (or no time left) says the mission is over.
    pub fn time_left(self, seconds_left: i64, ended: bool) -> String {
        const HOUR: i64 = 3600;
        const DAY: i64 = 24 * HOUR;
        if ended || seconds_left <= 0 {
            return match self {
                Lang::Fr => "terminée".to_owned(),
                Lang::En => "ended".to_owned(),
            };
        }
        if seconds_left < HOUR {
            return match self {
                Lang::Fr => "se termine dans moins d'une heure".to_owned(),
                Lang::En => "ends in less than an hour".to_owned(),
            };
        }
        let (n, fr_unit, en_unit) = if seconds_left < DAY {
            (seconds_left / HOUR, "heure", "hour")
        } else {
            ((seconds_left + DAY / 2) / DAY, "jour", "day")
        };
        let plural = if n > 1 { "s" } else { "" };
        match self {
            Lang::Fr => format!("se termine dans {n} {fr_unit}{plural}"),
            Lang::En => format!("ends in {n} {en_unit}{plural}"),
        }
    }

    /// The hint under an upload field: accepted formats and size limit.
    pub fn upload_hint(self, formats: &str, max_size: &str) -> String {
        match self {
            Lang::Fr => format!("Formats acceptés : {formats}. Taille maximale : {max_size}."),
            Lang::En => format!("Accepted formats: {formats}. Maximum size: {max_size}."),
        }
    }

    /// A file over the size limit, refused before it is sent.
    pub fn upload_too_large(self, max_size: &str) -> String {
        match self {
            Lang::Fr => format!(
                "Ce fichier dépasse la taille maximale autorisée ({max_size}) : il n'a pas été envoyé."
            ),
            Lang::En => {
                format!("This file exceeds the maximum size allowed ({max_size}): it was not sent.")
            }
        }
    }

    /// A file of a refused type, refused before it is sent.
    pub fn upload_bad_type(self, formats: &str) -> String {
        match self {
            Lang::Fr => format!("Type de fichier refusé : formats acceptés : {formats}."),
            Lang::En => format!("File type refused: accepted formats: {formats}."),
        }
    }

    /// After an upload: stored, or held in quarantine by the identifier scan.
    pub fn notice_uploaded(self, name: &str, quarantined: bool) -> String {
        match (self, quarantined) {
            (Lang::Fr, false) => format!("« {name} » a été déposé."),
            (Lang::Fr, true) => format!(
                "« {name} » a été déposé, mais le contrôle y a relevé des données directement identifiantes : il reste en quarantaine, visible de votre seul organisme, jusqu'à ce que vous le transmettiez ou le supprimiez."
            ),
            (Lang::En, false) => format!("“{name}” was uploaded."),
            (Lang::En, true) => format!(
                "“{name}” was uploaded, but the check found direct identifiers in it: it stays in quarantine, visible to your organisation only, until you send it on or delete it."
            ),
        }
    }

    /// After several uploads at once: how many, and how many are held in quarantine.
    pub fn notice_uploaded_many(self, count: usize, quarantined: usize) -> String {
        let held = match (self, quarantined) {
            (_, 0) => String::new(),
            (Lang::Fr, 1) => " L'un d'eux reste en quarantaine : voir ci-dessous.".to_owned(),
            (Lang::Fr, n) => format!(" {n} d'entre eux restent en quarantaine : voir ci-dessous."),
            (Lang::En, 1) => " One of them stays in quarantine: see below.".to_owned(),
            (Lang::En, n) => format!(" {n} of them stay in quarantine: see below."),
        };
        match self {
            Lang::Fr => format!("{count} fichiers ont été déposés.{held}"),
            Lang::En => format!("{count} files were uploaded.{held}"),
        }
    }

    /// Released results a manager may not read: how many, and why they are not listed.
    pub fn results_unseen(self, count: usize) -> String {
        match (self, count) {
            (Lang::Fr, 1) => "1 résultat a été mis à disposition des destinataires. Votre rôle ne donne pas accès à son contenu.".to_owned(),
            (Lang::Fr, n) => format!("{n} résultats ont été mis à disposition des destinataires. Votre rôle ne donne pas accès à leur contenu."),
            (Lang::En, 1) => "1 result was released to the recipients. Your role does not give access to its content.".to_owned(),
            (Lang::En, n) => format!("{n} results were released to the recipients. Your role does not give access to their content."),
        }
    }

    /// A number as the interface writes it: `50,0` in French, `50.0` in English; anything else
    /// as given.
    pub fn number(self, written: &str) -> String {
        let trimmed = written.trim();
        let numeric = !trimmed.is_empty()
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ' ' | '%'))
            && trimmed.chars().filter(|c| *c == '.').count() <= 1
            && trimmed.chars().any(|c| c.is_ascii_digit());
        match self {
            Lang::Fr if numeric => trimmed.replace('.', ","),
            Lang::En if numeric => trimmed.to_owned(),
            _ => written.to_owned(),
        }
    }

    /// After a release.
    pub fn notice_released(self, name: &str) -> String {
        match self {
            Lang::Fr => format!("« {name} » est mis à disposition des destinataires."),
            Lang::En => format!("“{name}” is released to the recipients."),
        }
    }

    /// After a quarantined deposit was sent on.
    pub fn notice_confirmed(self, name: &str) -> String {
        match self {
            Lang::Fr => format!("« {name} » est transmis au bureau d'études."),
            Lang::En => format!("“{name}” is sent on to the consultancy."),
        }
    }

    /// The built-in retention sentence of the data-protection notice.
    pub fn privacy_retention_default(self, audit_days: u32) -> String {
        match self {
            Lang::Fr => format!(
                "Les fichiers sont gardés jusqu'à la fin de la mission, puis détruits avec un certificat de destruction. Le journal des opérations est gardé {audit_days} jours."
            ),
            Lang::En => format!(
                "Files are kept until the mission ends, then destroyed with a certificate of destruction. The record of operations is kept for {audit_days} days."
            ),
        }
    }

    /// A file size in words: octets / bytes, then Ko, Mo, Go (KB, MB, GB) with one decimal.
    pub fn file_size(self, bytes: i64) -> String {
        self.size_words(bytes, true)
    }

    /// A size limit in words, the decimal only when needed: `64 Ko`, `1,5 Mo`, `2 Go`.
    pub fn size_limit(self, bytes: u64) -> String {
        self.size_words(i64::try_from(bytes).unwrap_or(i64::MAX), false)
    }

    fn size_words(self, bytes: i64, always_decimal: bool) -> String {
        let units: [&str; 3] = match self {
            Lang::Fr => ["Ko", "Mo", "Go"],
            Lang::En => ["KB", "MB", "GB"],
        };
        if bytes < 1024 {
            return match self {
                Lang::Fr => format!("{bytes} octets"),
                Lang::En => format!("{bytes} bytes"),
            };
        }
        let mut value = bytes as f64 / 1024.0;
        let mut unit = units[0];
        for next in &units[1..] {
            if value < 1024.0 {
                break;
            }
            value /= 1024.0;
            unit = next;
        }
        let number = if always_decimal || value.fract() != 0.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.0}")
        };
        match self {
            Lang::Fr => format!("{} {unit}", number.replace('.', ",")),
            Lang::En => format!("{number} {unit}"),
        }
    }
}

/// Every text of the interface in one language.
#[derive(Debug)]
pub struct Strings {
    /// Under the product name in the header.
    pub tagline: &'static str,
    /// The skip link, first thing on every page.
    pub skip_link: &'static str,
    /// Accessible name of the language switch.
    pub language: &'static str,
    /// Footer line.
    pub footer: &'static str,
    /// Prefix of every error message (and of the title of a page showing errors).
    pub error_prefix: &'static str,
    /// Reminder above forms.
    pub required_hint: &'static str,
    /// Accessible name of the signed-in user's area of the header.
    pub account_area: &'static str,
    /// Logout button.
    pub logout: &'static str,

    /// Login page title.
    pub login_title: &'static str,
    /// Login page introduction.
    pub login_intro: &'static str,
    /// Username label.
    pub username_label: &'static str,
    /// Password label.
    pub password_label: &'static str,
    /// Login button.
    pub login_submit: &'static str,
    /// Shown after an expired session.
    pub session_expired: &'static str,
    /// Empty username.
    pub err_username_empty: &'static str,
    /// Empty password.
    pub err_password_empty: &'static str,
    /// Wrong username or password (one message for every cause).
    pub err_credentials: &'static str,
    /// The login step expired or was used.
    pub err_step_expired: &'static str,

    /// Password change title.
    pub change_title: &'static str,
    /// Password change introduction.
    pub change_intro: &'static str,
    /// New password label.
    pub new_password_label: &'static str,
    /// New password hint.
    pub new_password_hint: &'static str,
    /// Confirmation label.
    pub confirm_label: &'static str,
    /// Password change button.
    pub change_submit: &'static str,
    /// Empty new password.
    pub err_new_password_empty: &'static str,
    /// Confirmation differs.
    pub err_mismatch: &'static str,
    /// The new password is the current one.
    pub err_same_password: &'static str,

    /// Enrollment title.
    pub enroll_title: &'static str,
    /// Enrollment introduction.
    pub enroll_intro: &'static str,
    /// Enrollment, step 1.
    pub enroll_step_app: &'static str,
    /// Enrollment, step 2.
    pub enroll_step_key: &'static str,
    /// Caption of the key.
    pub enroll_key_caption: &'static str,
    /// Before the `otpauth://` link.
    pub enroll_link_intro: &'static str,
    /// Enrollment, step 3.
    pub enroll_step_code: &'static str,
    /// After a wrong enrollment code (the key is not shown again).
    pub enroll_no_key: &'static str,
    /// Link to start the login again.
    pub restart_login: &'static str,
    /// Enrollment button.
    pub enroll_submit: &'static str,

    /// TOTP step title.
    pub totp_title: &'static str,
    /// TOTP step introduction.
    pub totp_intro: &'static str,
    /// Code label.
    pub code_label: &'static str,
    /// Code hint.
    pub code_hint: &'static str,
    /// Code button.
    pub code_submit: &'static str,
    /// Recovery section heading.
    pub recovery_heading: &'static str,
    /// Recovery section introduction.
    pub recovery_intro: &'static str,
    /// Recovery code label.
    pub recovery_label: &'static str,
    /// Recovery code hint.
    pub recovery_hint: &'static str,
    /// Recovery code button.
    pub recovery_submit: &'static str,
    /// Empty code.
    pub err_code_empty: &'static str,
    /// Empty recovery code.
    pub err_recovery_empty: &'static str,
    /// Wrong, expired or used code.
    pub err_code: &'static str,

    /// Recovery codes title.
    pub codes_title: &'static str,
    /// Recovery codes introduction.
    pub codes_intro: &'static str,
    /// Recovery codes warning.
    pub codes_warning: &'static str,
    /// Download link.
    pub codes_download: &'static str,
    /// First line of the downloaded file.
    pub codes_file_heading: &'static str,
    /// Second line of the downloaded file.
    pub codes_file_note: &'static str,
    /// Link to the home page.
    pub continue_link: &'static str,

    /// Home page title.
    pub home_title: &'static str,
    /// Greeting before the name.
    pub hello: &'static str,
    /// Organisation label.
    pub organisation_label: &'static str,
    /// Missions heading.
    pub missions_heading: &'static str,
    /// Missions placeholder.
    pub missions_note: &'static str,
    /// Session heading.
    pub session_heading: &'static str,
    /// Label of the caller's roles in a mission.
    pub my_roles_label: &'static str,
    /// Label of a mission's status.
    pub mission_status_label: &'static str,
    /// Label of a mission's end date.
    pub ends_at_label: &'static str,
    /// Label of the time left before a mission's end.
    pub time_left_label: &'static str,
    /// Prefix of the time left of a mission ending within a week.
    pub soon_prefix: &'static str,
    /// Purpose label on the mission page.
    pub purpose_label: &'static str,
    /// Files heading on the mission page.
    pub files_heading: &'static str,
    /// Caption of the files table.
    pub files_caption: &'static str,
    /// No visible file.
    pub no_files: &'static str,
    /// Files table: name column.
    pub file_name_col: &'static str,
    /// Files table: folder column.
    pub file_folder_col: &'static str,
    /// Files table: size column.
    pub file_size_col: &'static str,
    /// Files table: upload date column.
    pub file_uploaded_col: &'static str,
    /// Files table: state column.
    pub file_state_col: &'static str,
    /// Files table: download column.
    pub file_download_col: &'static str,
    /// Download link text.
    pub download: &'static str,
    /// The deposits folder.
    pub folder_deposits: &'static str,
    /// The results folder.
    pub folder_results: &'static str,
    /// A deposit held in quarantine.
    pub state_quarantined: &'static str,
    /// A file held until its antivirus scan succeeds.
    pub state_pending_scan: &'static str,
    /// A file available to those who may read it.
    pub state_available: &'static str,
    /// A result released to recipients.
    pub state_released: &'static str,
    /// A result not yet released.
    pub state_unreleased: &'static str,
    /// Suspended mission title.
    pub suspended_title: &'static str,
    /// Suspended mission message.
    pub suspended_message: &'static str,
    /// Outside access hours title.
    pub outside_hours_title: &'static str,
    /// Outside access hours message.
    pub outside_hours_message: &'static str,

    /// Signed-out page title.
    pub signed_out_title: &'static str,
    /// Signed-out message.
    pub signed_out_message: &'static str,
    /// Signed-out advice.
    pub signed_out_advice: &'static str,
    /// Link back to the login page.
    pub sign_in_again: &'static str,

    /// Error page link.
    pub back_home: &'static str,
    /// Anti-forgery failure title.
    pub forbidden_title: &'static str,
    /// Missing or wrong CSRF token.
    pub err_csrf: &'static str,
    /// A request sent by another site.
    pub err_cross_site: &'static str,
    /// Role refusal title.
    pub role_refused_title: &'static str,
    /// The caller's role in the mission does not allow the operation.
    pub role_refused_message: &'static str,
    /// Not found title.
    pub not_found_title: &'static str,
    /// Not found message.
    pub not_found_message: &'static str,
    /// Bad request title.
    pub bad_request_title: &'static str,
    /// Unknown language requested.
    pub err_bad_language: &'static str,
    /// Internal error title.
    pub internal_title: &'static str,
    /// Internal error message.
    pub internal_message: &'static str,
    /// Caption of the enrolment QR code.
    pub enroll_qr_caption: &'static str,
    /// Heading of the deposits folder.
    pub deposits_heading: &'static str,
    /// Who sees the deposits.
    pub deposits_intro: &'static str,
    /// Empty deposits folder.
    pub no_deposits: &'static str,
    /// Heading of the results folder.
    pub results_heading: &'static str,
    /// Who sees the results.
    pub results_intro: &'static str,
    /// Empty results folder.
    pub no_results: &'static str,
    /// Uploader's organisation.
    pub file_org_label: &'static str,
    /// Label of the deposit file field.
    pub upload_label_deposits: &'static str,
    /// Label of the result file field.
    pub upload_label_results: &'static str,
    /// Drop zone text.
    pub upload_drop: &'static str,
    /// Upload button.
    pub upload_submit: &'static str,
    /// Label of the progress bar.
    pub upload_progress_label: &'static str,
    /// Progress text, {p} replaced by the percentage.
    pub upload_progress: &'static str,
    /// After the last byte, while the server checks.
    pub upload_checking: &'static str,
    /// The connection broke during an upload.
    pub upload_network_error: &'static str,
    /// Submit without a file.
    pub upload_no_file: &'static str,
    /// Before the findings of a scan.
    pub findings_intro: &'static str,
    /// Caption of the failed disclosure rules.
    pub violations_caption: &'static str,
    /// Column: sheet.
    pub violation_sheet_col: &'static str,
    /// Column: row.
    pub violation_row_col: &'static str,
    /// Column: column.
    pub violation_column_col: &'static str,
    /// Column: value.
    pub violation_value_col: &'static str,
    /// Column: rule.
    pub violation_rule_col: &'static str,
    /// Release button.
    pub release_button: &'static str,
    /// Opens the override form.
    pub override_summary: &'static str,
    /// Label of the override justification.
    pub override_label: &'static str,
    /// Override button.
    pub override_submit: &'static str,
    /// Hint under a justification.
    pub justification_hint: &'static str,
    /// Opens the quarantine confirmation form.
    pub quarantine_summary: &'static str,
    /// Label of the quarantine justification.
    pub quarantine_label: &'static str,
    /// Quarantine confirmation button.
    pub quarantine_submit: &'static str,
    /// Opens the deletion form.
    pub delete_summary: &'static str,
    /// Warning before a deletion.
    pub delete_warning: &'static str,
    /// Deletion button.
    pub delete_submit: &'static str,
    /// Heading of the participants.
    pub participants_heading: &'static str,
    /// Caption of the participants table.
    pub participants_caption: &'static str,
    /// Column: name.
    pub participant_name_col: &'static str,
    /// Column: organisation.
    pub participant_org_col: &'static str,
    /// Column: roles.
    pub participant_roles_col: &'static str,
    /// Column: action.
    pub participant_action_col: &'static str,
    /// Removal button.
    pub participant_remove: &'static str,
    /// Heading of the add form.
    pub add_participant_heading: &'static str,
    /// Label of the username field.
    pub participant_username_label: &'static str,
    /// Hint of the username field.
    pub participant_username_hint: &'static str,
    /// Legend of the role boxes.
    pub participant_roles_legend: &'static str,
    /// Add button.
    pub add_participant_submit: &'static str,
    /// No role ticked.
    pub err_no_role: &'static str,
    /// Unknown username.
    pub err_unknown_user: &'static str,
    /// After adding a participant.
    pub notice_participant_added: &'static str,
    /// After removing a participant.
    pub notice_participant_removed: &'static str,
    /// After a deletion.
    pub notice_deleted: &'static str,
    /// A result whose disclosure check failed.
    pub state_check_failed: &'static str,
    /// Warning before the idle timeout, {m} replaced by minutes.
    pub session_warning: &'static str,
    /// Button that keeps the session.
    pub session_stay: &'static str,
    /// Title of the usage charter page.
    pub charter_title: &'static str,
    /// Above the charter.
    pub charter_intro: &'static str,
    /// Before the charter's version.
    pub charter_version_label: &'static str,
    /// Accessible name of the charter's text.
    pub charter_text_label: &'static str,
    /// The acceptance checkbox.
    pub charter_accept_label: &'static str,
    /// The acceptance button.
    pub charter_submit: &'static str,
    /// Under the form.
    pub charter_decline_hint: &'static str,
    /// The box was not ticked.
    pub err_charter_unticked: &'static str,
    /// The charter changed while the page was open.
    pub err_charter_changed: &'static str,
    /// The built-in charter (paragraphs separated by blank lines).
    pub charter_default: &'static str,
    /// Heading of the data-protection notice on the login page.
    pub privacy_heading: &'static str,
    /// Label.
    pub privacy_controller_label: &'static str,
    /// Label.
    pub privacy_purpose_label: &'static str,
    /// Label.
    pub privacy_retention_label: &'static str,
    /// Label.
    pub privacy_dpo_label: &'static str,
    /// Label.
    pub privacy_rights_label: &'static str,
    /// Built-in text.
    pub privacy_controller_default: &'static str,
    /// Built-in text.
    pub privacy_purpose_default: &'static str,
    /// Built-in text.
    pub privacy_dpo_default: &'static str,
    /// Built-in text.
    pub privacy_rights_default: &'static str,
    /// Text of the otpauth:// link.
    pub enroll_link_text: &'static str,
    /// Files table: uploader column.
    pub file_uploaded_by_col: &'static str,
    /// Before a file's short id.
    pub file_ref_label: &'static str,
    /// Under a file table: how to sort it.
    pub files_sort_hint: &'static str,
    /// Heading of a quarantined deposit's findings.
    pub quarantine_heading: &'static str,
    /// What the depositor should do with a quarantined deposit.
    pub quarantine_advice: &'static str,
    /// Above the refused cells of an earlier release attempt.
    pub violations_previous: &'static str,
    /// Column: the row's labels.
    pub violation_labels_col: &'static str,
    /// Link to the CSV list of refused cells.
    pub violations_export: &'static str,
    /// Cancel button of one upload.
    pub upload_cancel: &'static str,
    /// An upload the user cancelled.
    pub upload_cancelled: &'static str,
    /// An upload that succeeded.
    pub upload_done: &'static str,
    /// An upload waiting for its turn.
    pub upload_waiting: &'static str,
    /// Accessible name of the list of uploads in progress.
    pub upload_list_label: &'static str,
    /// Link after uploads, to see the updated list.
    pub upload_show_list: &'static str,
    /// Heading on a destroyed mission's page.
    pub destroyed_heading: &'static str,
    /// What destruction means.
    pub destroyed_text: &'static str,
    /// Link to the certificate.
    pub destroyed_certificate_link: &'static str,
}

/// French texts.
pub static FR: Strings = Strings {
    tagline: "Échange sécurisé des fichiers d'enquête OPS",
    skip_link: "Aller au contenu",
    language: "Langue",
    footer: "Passerelle — échange sécurisé de fichiers entre organismes HLM, EPCI et bureaux d'études.",
    error_prefix: "Erreur :",
    required_hint: "Tous les champs sont obligatoires.",
    account_area: "Votre compte",
    logout: "Se déconnecter",

    login_title: "Connexion",
    login_intro: "Connectez-vous avec l'identifiant et le mot de passe reçus de votre administrateur.",
    username_label: "Identifiant",
    password_label: "Mot de passe",
    login_submit: "Se connecter",
    session_expired: "Votre session a expiré : reconnectez-vous.",
    err_username_empty: "Saisissez votre identifiant.",
    err_password_empty: "Saisissez votre mot de passe.",
    err_credentials: "Identifiant ou mot de passe incorrect.",
    err_step_expired: "Cette étape de connexion a expiré ou a déjà servi : recommencez la connexion.",

    change_title: "Choisissez votre mot de passe",
    change_intro: "Remplacez le mot de passe provisoire par un mot de passe personnel, connu de vous seul.",
    new_password_label: "Nouveau mot de passe",
    new_password_hint: "Au moins 12 caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner.",
    confirm_label: "Confirmez le nouveau mot de passe",
    change_submit: "Enregistrer le mot de passe",
    err_new_password_empty: "Saisissez un nouveau mot de passe.",
    err_mismatch: "Les deux mots de passe ne sont pas identiques.",
    err_same_password: "Le nouveau mot de passe doit être différent de l'actuel.",

    enroll_title: "Activez la double authentification",
    enroll_intro: "À chaque connexion, en plus du mot de passe, Passerelle vous demandera un code à 6 chiffres donné par une application d'authentification.",
    enroll_step_app: "Installez une application d'authentification sur votre téléphone ou votre ordinateur (par exemple FreeOTP, Aegis, Microsoft Authenticator ou Google Authenticator).",
    enroll_step_key: "Dans l'application, ajoutez un compte en saisissant la clé ci-dessous (les espaces sont facultatifs).",
    enroll_key_caption: "Clé à saisir",
    enroll_link_intro: "Sur un appareil où l'application est installée, vous pouvez aussi",
    enroll_step_code: "Saisissez le code à 6 chiffres que l'application affiche.",
    enroll_no_key: "Si vous n'avez pas enregistré la clé dans votre application, recommencez la connexion pour en obtenir une nouvelle.",
    restart_login: "Recommencer la connexion",
    enroll_submit: "Activer la double authentification",

    totp_title: "Vérification en deux étapes",
    totp_intro: "Saisissez le code affiché par votre application d'authentification.",
    code_label: "Code à 6 chiffres",
    code_hint: "Le code change toutes les 30 secondes.",
    code_submit: "Valider le code",
    recovery_heading: "Vous n'avez pas votre application ?",
    recovery_intro: "Utilisez l'un de vos codes de secours. Chaque code ne sert qu'une fois.",
    recovery_label: "Code de secours",
    recovery_hint: "Au format xxxx-xxxx-xxxx-xxxx.",
    recovery_submit: "Utiliser ce code de secours",
    err_code_empty: "Saisissez le code à 6 chiffres.",
    err_recovery_empty: "Saisissez un code de secours.",
    err_code: "Code incorrect, expiré ou déjà utilisé.",

    codes_title: "Vos codes de secours",
    codes_intro: "La double authentification est activée. Voici 10 codes de secours : chacun permet de vous connecter une seule fois si vous n'avez pas votre application.",
    codes_warning: "Ces codes ne seront plus jamais affichés. Enregistrez-les ou imprimez-les maintenant, et gardez-les en lieu sûr.",
    codes_download: "Télécharger en texte",
    codes_file_heading: "Codes de secours Passerelle",
    codes_file_note: "Chaque code ne sert qu'une fois. Gardez ce fichier en lieu sûr.",
    continue_link: "Continuer",

    home_title: "Accueil",
    hello: "Bonjour",
    organisation_label: "Organisme",
    missions_heading: "Vos missions",
    missions_note: "Vos missions apparaîtront ici.",
    session_heading: "Votre session",
    my_roles_label: "Mes rôles",
    mission_status_label: "État",
    ends_at_label: "Fin de la mission",
    time_left_label: "Temps restant",
    soon_prefix: "Bientôt :",
    purpose_label: "Finalité",
    files_heading: "Fichiers",
    files_caption: "Fichiers de la mission que vous pouvez consulter",
    no_files: "Aucun fichier ne vous est accessible dans cette mission pour l'instant.",
    file_name_col: "Fichier",
    file_folder_col: "Dossier",
    file_size_col: "Taille",
    file_uploaded_col: "Déposé le",
    file_state_col: "État",
    file_download_col: "Téléchargement",
    download: "Télécharger",
    folder_deposits: "dépôts",
    folder_results: "résultats",
    state_quarantined: "en quarantaine",
    state_pending_scan: "en attente de l'analyse antivirus",
    state_available: "disponible",
    state_released: "mis à disposition",
    state_unreleased: "pas encore mis à disposition",
    suspended_title: "Mission suspendue",
    suspended_message: "La mission est suspendue : ses fichiers ne sont pas accessibles pour l'instant.",
    outside_hours_title: "Hors des heures d'accès",
    outside_hours_message: "Les fichiers de cette mission ne sont accessibles qu'aux jours et heures fixés par la convention.",

    signed_out_title: "Déconnexion",
    signed_out_message: "Vous avez été déconnecté.",
    signed_out_advice: "Sur un ordinateur partagé, fermez aussi votre navigateur.",
    sign_in_again: "Se reconnecter",

    back_home: "Retour à l'accueil",
    forbidden_title: "Requête refusée",
    err_csrf: "Jeton anti-falsification invalide : rechargez la page.",
    err_cross_site: "Requête refusée : elle ne provient pas de Passerelle.",
    role_refused_title: "Opération non permise",
    role_refused_message: "Votre rôle dans cette mission ne permet pas cette opération.",
    not_found_title: "Page introuvable",
    not_found_message: "La page demandée n'existe pas.",
    bad_request_title: "Requête invalide",
    err_bad_language: "Langue inconnue.",
    internal_title: "Erreur interne",
    internal_message: "Une erreur interne est survenue ; elle a été consignée. Réessayez plus tard.",
    enroll_qr_caption: "Ou scannez ce code QR avec l'application :",
    deposits_heading: "Dépôts des bailleurs",
    deposits_intro: "Chaque organisme ne voit que ses propres dépôts ; le bureau d'études les voit tous, sauf ceux retenus en quarantaine.",
    no_deposits: "Aucun dépôt pour l'instant.",
    results_heading: "Résultats",
    results_intro: "Les destinataires ne voient que les résultats mis à disposition, après le contrôle du secret statistique.",
    no_results: "Aucun résultat pour l'instant.",
    file_org_label: "Organisme",
    upload_label_deposits: "Fichier à déposer",
    upload_label_results: "Fichier de résultats à déposer",
    upload_drop: "Vous pouvez aussi glisser un ou plusieurs fichiers dans ce cadre.",
    upload_submit: "Déposer le fichier",
    upload_progress_label: "Progression de l'envoi",
    upload_progress: "Envoi en cours : {p} %",
    upload_checking: "Fichier reçu : vérification en cours…",
    upload_network_error: "L'envoi a été interrompu (connexion perdue) : rien n'a été enregistré. Réessayez.",
    upload_no_file: "Choisissez d'abord un fichier à envoyer.",
    findings_intro: "Le contrôle a relevé :",
    violations_caption: "Cases qui empêchent la mise à disposition",
    violation_sheet_col: "Feuille",
    violation_row_col: "Ligne",
    violation_column_col: "Colonne",
    violation_value_col: "Valeur",
    violation_rule_col: "Règle",
    release_button: "Mettre à disposition des destinataires",
    override_summary: "Mettre à disposition malgré le contrôle…",
    override_label: "Justification de la dérogation",
    override_submit: "Mettre à disposition avec dérogation",
    justification_hint: "Obligatoire, 2000 caractères au plus ; elle est enregistrée dans le journal de la mission.",
    quarantine_summary: "Transmettre malgré tout…",
    quarantine_label: "Pourquoi ce fichier peut-il être transmis ?",
    quarantine_submit: "Transmettre au bureau d'études",
    delete_summary: "Supprimer…",
    delete_warning: "Le fichier sera supprimé définitivement ; la suppression est enregistrée dans le journal.",
    delete_submit: "Supprimer définitivement",
    participants_heading: "Participants",
    participants_caption: "Personnes ayant accès à la mission",
    participant_name_col: "Nom",
    participant_org_col: "Organisme",
    participant_roles_col: "Rôles",
    participant_action_col: "Action",
    participant_remove: "Retirer",
    add_participant_heading: "Ajouter un participant",
    participant_username_label: "Identifiant de la personne",
    participant_username_hint: "L'identifiant avec lequel elle se connecte, par exemple marie.dupont.",
    participant_roles_legend: "Rôles à lui donner",
    add_participant_submit: "Ajouter à la mission",
    err_no_role: "Cochez au moins un rôle.",
    err_unknown_user: "Aucun compte actif ne porte cet identifiant.",
    notice_participant_added: "Le participant a été ajouté ; son accès est immédiat.",
    notice_participant_removed: "Le participant a été retiré ; son accès a pris fin.",
    notice_deleted: "Le fichier a été supprimé.",
    state_check_failed: "non mis à disposition : contrôle du secret statistique non satisfait",
    session_warning: "Sans activité de votre part, votre session se fermera dans {m} min. Les envois en cours seraient interrompus.",
    session_stay: "Rester connecté",
    charter_title: "Charte d'utilisation",
    charter_intro: "Avant votre première utilisation de Passerelle, lisez sa charte d'utilisation. Votre acceptation est enregistrée avec la version de la charte.",
    charter_version_label: "Version de la charte :",
    charter_text_label: "Texte de la charte",
    charter_accept_label: "J'ai lu la charte d'utilisation et je m'engage à la respecter.",
    charter_submit: "Accepter et continuer",
    charter_decline_hint: "Si vous ne l'acceptez pas, déconnectez-vous : l'accès aux missions reste fermé tant que la charte n'est pas acceptée.",
    err_charter_unticked: "Cochez la case pour accepter la charte d'utilisation.",
    err_charter_changed: "La charte a changé pendant votre lecture : lisez la nouvelle version ci-dessous.",
    charter_default: "Passerelle sert uniquement à échanger les fichiers des missions auxquelles vous participez, pour la finalité fixée par la convention de chaque mission.\n\nVotre compte est personnel et ne se prête pas. Ne communiquez à personne votre mot de passe, votre application d'authentification ni vos codes de secours. Signalez sans attendre toute perte ou tout usage suspect à l'administrateur de la plateforme.\n\nLes fichiers d'enquête contiennent des données personnelles de ménages. Ne les téléchargez que pour la mission, gardez-les sur un poste protégé, ne les transmettez qu'aux participants de la mission et effacez vos copies à la fin de celle-ci.\n\nSeuls des résultats agrégés peuvent être mis à disposition des destinataires : aucun chiffre publié ne doit reposer sur moins de 11 ménages.\n\nChaque opération (connexion, dépôt, téléchargement, mise à disposition, suppression) est enregistrée avec sa date, la personne et le fichier concernés. Ce journal peut être consulté par le responsable du traitement et son délégué à la protection des données.",
    privacy_heading: "Protection de vos données",
    privacy_controller_label: "Responsable du traitement",
    privacy_purpose_label: "Finalité",
    privacy_retention_label: "Durée de conservation",
    privacy_dpo_label: "Délégué à la protection des données",
    privacy_rights_label: "Vos droits",
    privacy_controller_default: "L'organisme qui exploite ce service pour les missions d'études OPS (voir la convention de votre mission).",
    privacy_purpose_default: "Échanger de façon sécurisée les fichiers d'enquête OPS et leurs résultats agrégés entre bailleurs sociaux, bureaux d'études et intercommunalités, et garder la trace de chaque opération.",
    privacy_dpo_default: "Le délégué à la protection des données du responsable du traitement, joignable par l'administrateur de la plateforme.",
    privacy_rights_default: "Vous pouvez accéder aux données qui vous concernent, les faire rectifier ou effacer, en limiter le traitement ou vous y opposer, auprès du délégué à la protection des données. Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).",
    enroll_link_text: "ouvrir la clé directement dans l'application",
    file_uploaded_by_col: "Déposé par",
    file_ref_label: "réf.",
    files_sort_hint: "Pour trier la liste, choisissez le titre d'une colonne.",
    quarantine_heading: "Données directement identifiantes relevées",
    quarantine_advice: "Que faire ? Retirez ces colonnes du fichier, déposez-le à nouveau puis supprimez celui-ci. Si le chargé d'études vous confirme que ces colonnes sont prévues par la convention, transmettez-le plutôt en expliquant pourquoi (« Transmettre malgré tout… »).",
    violations_previous: "Lors de la dernière tentative de mise à disposition, le contrôle du secret statistique a refusé ces cases. Corrigez-les et déposez une nouvelle version du résultat.",
    violation_labels_col: "Libellés de la ligne",
    violations_export: "Télécharger la liste des cases refusées (CSV)",
    upload_cancel: "Annuler l'envoi",
    upload_cancelled: "Envoi annulé : rien n'a été enregistré.",
    upload_done: "Déposé.",
    upload_waiting: "En attente…",
    upload_list_label: "Envois en cours",
    upload_show_list: "Afficher la liste à jour",
    destroyed_heading: "Mission détruite",
    destroyed_text: "Les fichiers de cette mission, ses clés de chiffrement et les accès de ses participants ont été détruits, sauvegardes comprises : plus rien ne peut en être lu. Le certificat de destruction signé en apporte la preuve.",
    destroyed_certificate_link: "Voir le certificat de destruction",
};

/// English texts.
pub static EN: Strings = Strings {
    tagline: "Secure exchange of OPS survey files",
    skip_link: "Skip to content",
    language: "Language",
    footer: "Passerelle — secure file exchange between social landlords, EPCI and consultancies.",
    error_prefix: "Error:",
    required_hint: "All fields are required.",
    account_area: "Your account",
    logout: "Sign out",

    login_title: "Sign in",
    login_intro: "Sign in with the username and password your administrator gave you.",
    username_label: "Username",
    password_label: "Password",
    login_submit: "Sign in",
    session_expired: "Your session has expired: sign in again.",
    err_username_empty: "Enter your username.",
    err_password_empty: "Enter your password.",
    err_credentials: "Wrong username or password.",
    err_step_expired: "This login step has expired or was already used: start the login again.",

    change_title: "Choose your password",
    change_intro: "Replace the temporary password with a personal password that only you know.",
    new_password_label: "New password",
    new_password_hint: "At least 12 characters. A sentence of several words is easy to remember and hard to guess.",
    confirm_label: "Confirm the new password",
    change_submit: "Save the password",
    err_new_password_empty: "Enter a new password.",
    err_mismatch: "The two passwords do not match.",
    err_same_password: "The new password must differ from the current one.",

    enroll_title: "Set up two-step verification",
    enroll_intro: "At every sign-in, besides your password, Passerelle will ask for a 6-digit code given by an authenticator app.",
    enroll_step_app: "Install an authenticator app on your phone or computer (for example FreeOTP, Aegis, Microsoft Authenticator or Google Authenticator).",
    enroll_step_key: "In the app, add an account by typing the key below (spaces are optional).",
    enroll_key_caption: "Key to type",
    enroll_link_intro: "On a device where the app is installed, you can also",
    enroll_step_code: "Enter the 6-digit code the app shows.",
    enroll_no_key: "If you did not save the key in your app, start the login again to get a new one.",
    restart_login: "Start the login again",
    enroll_submit: "Turn on two-step verification",

    totp_title: "Two-step verification",
    totp_intro: "Enter the code shown by your authenticator app.",
    code_label: "6-digit code",
    code_hint: "The code changes every 30 seconds.",
    code_submit: "Confirm the code",
    recovery_heading: "Don't have your app?",
    recovery_intro: "Use one of your recovery codes. Each code works only once.",
    recovery_label: "Recovery code",
    recovery_hint: "Written xxxx-xxxx-xxxx-xxxx.",
    recovery_submit: "Use this recovery code",
    err_code_empty: "Enter the 6-digit code.",
    err_recovery_empty: "Enter a recovery code.",
    err_code: "Wrong, expired or already used code.",

    codes_title: "Your recovery codes",
    codes_intro: "Two-step verification is on. Here are 10 recovery codes: each lets you sign in once if you do not have your app.",
    codes_warning: "These codes will never be shown again. Save or print them now, and keep them somewhere safe.",
    codes_download: "Download as text",
    codes_file_heading: "Passerelle recovery codes",
    codes_file_note: "Each code works only once. Keep this file somewhere safe.",
    continue_link: "Continue",

    home_title: "Home",
    hello: "Hello",
    organisation_label: "Organisation",
    missions_heading: "Your missions",
    missions_note: "Your missions will appear here.",
    session_heading: "Your session",
    my_roles_label: "My roles",
    mission_status_label: "Status",
    ends_at_label: "End of the mission",
    time_left_label: "Time left",
    soon_prefix: "Soon:",
    purpose_label: "Purpose",
    files_heading: "Files",
    files_caption: "Files of the mission you may see",
    no_files: "No file of this mission is available to you yet.",
    file_name_col: "File",
    file_folder_col: "Folder",
    file_size_col: "Size",
    file_uploaded_col: "Uploaded on",
    file_state_col: "State",
    file_download_col: "Download",
    download: "Download",
    folder_deposits: "deposits",
    folder_results: "results",
    state_quarantined: "in quarantine",
    state_pending_scan: "awaiting its antivirus scan",
    state_available: "available",
    state_released: "released",
    state_unreleased: "not released",
    suspended_title: "Mission suspended",
    suspended_message: "The mission is suspended: its files are not available for now.",
    outside_hours_title: "Outside access hours",
    outside_hours_message: "This mission's files are only accessible on the days and hours set by the agreement.",

    signed_out_title: "Signed out",
    signed_out_message: "You have been signed out.",
    signed_out_advice: "On a shared computer, also close your browser.",
    sign_in_again: "Sign in again",

    back_home: "Back to the home page",
    forbidden_title: "Request refused",
    err_csrf: "Invalid anti-forgery token: reload the page.",
    err_cross_site: "Request refused: it does not come from Passerelle.",
    role_refused_title: "Operation not allowed",
    role_refused_message: "Your role in this mission does not allow this operation.",
    not_found_title: "Page not found",
    not_found_message: "The page you asked for does not exist.",
    bad_request_title: "Invalid request",
    err_bad_language: "Unknown language.",
    internal_title: "Internal error",
    internal_message: "An internal error occurred and was logged. Please try again later.",
    enroll_qr_caption: "Or scan this QR code with the app:",
    deposits_heading: "Landlords' deposits",
    deposits_intro: "Each organisation sees only its own deposits; the consultancy sees them all, except those held in quarantine.",
    no_deposits: "No deposits yet.",
    results_heading: "Results",
    results_intro: "Recipients see only released results, after the statistical disclosure check.",
    no_results: "No results yet.",
    file_org_label: "Organisation",
    upload_label_deposits: "File to deposit",
    upload_label_results: "Results file to upload",
    upload_drop: "You can also drag one or more files into this box.",
    upload_submit: "Upload the file",
    upload_progress_label: "Upload progress",
    upload_progress: "Uploading: {p}%",
    upload_checking: "File received: checking…",
    upload_network_error: "The upload was interrupted (connection lost): nothing was stored. Please try again.",
    upload_no_file: "Choose a file to send first.",
    findings_intro: "The check found:",
    violations_caption: "Cells that prevent the release",
    violation_sheet_col: "Sheet",
    violation_row_col: "Row",
    violation_column_col: "Column",
    violation_value_col: "Value",
    violation_rule_col: "Rule",
    release_button: "Release to recipients",
    override_summary: "Release despite the check…",
    override_label: "Justification of the override",
    override_submit: "Release with an override",
    justification_hint: "Required, 2000 characters at most; it is recorded in the mission's log.",
    quarantine_summary: "Send it on anyway…",
    quarantine_label: "Why may this file be sent on?",
    quarantine_submit: "Send it to the consultancy",
    delete_summary: "Delete…",
    delete_warning: "The file will be deleted for good; the deletion is recorded in the log.",
    delete_submit: "Delete for good",
    participants_heading: "Participants",
    participants_caption: "People with access to the mission",
    participant_name_col: "Name",
    participant_org_col: "Organisation",
    participant_roles_col: "Roles",
    participant_action_col: "Action",
    participant_remove: "Remove",
    add_participant_heading: "Add a participant",
    participant_username_label: "The person's username",
    participant_username_hint: "The username they sign in with, for example marie.dupont.",
    participant_roles_legend: "Roles to give",
    add_participant_submit: "Add to the mission",
    err_no_role: "Tick at least one role.",
    err_unknown_user: "No active account has this username.",
    notice_participant_added: "The participant was added; their access starts now.",
    notice_participant_removed: "The participant was removed; their access has ended.",
    notice_deleted: "The file was deleted.",
    state_check_failed: "not released: statistical disclosure check failed",
    session_warning: "Without activity, your session will end in {m} min. Uploads in progress would be interrupted.",
    session_stay: "Stay signed in",
    charter_title: "Terms of use",
    charter_intro: "Before you first use Passerelle, read its terms of use. Your acceptance is recorded with the version of the terms.",
    charter_version_label: "Version:",
    charter_text_label: "Text of the terms of use",
    charter_accept_label: "I have read the terms of use and agree to follow them.",
    charter_submit: "Accept and continue",
    charter_decline_hint: "If you do not accept them, sign out: missions stay closed until the terms are accepted.",
    err_charter_unticked: "Tick the box to accept the terms of use.",
    err_charter_changed: "The terms of use changed while you were reading: please read the new version below.",
    charter_default: "Passerelle is only for exchanging the files of the missions you take part in, for the purpose set by each mission's agreement.\n\nYour account is personal and may not be lent. Never share your password, your authenticator app or your recovery codes. Report any loss or suspicious use to the platform administrator at once.\n\nSurvey files hold personal data about households. Download them only for the mission, keep them on a protected computer, pass them only to the mission's participants, and erase your copies when the mission ends.\n\nOnly aggregated results may be released to recipients: no published figure may rest on fewer than 11 households.\n\nEvery operation (sign-in, upload, download, release, deletion) is recorded with its date, the person and the file concerned. The controller and its data protection officer may read this record.",
    privacy_heading: "How your data is protected",
    privacy_controller_label: "Controller",
    privacy_purpose_label: "Purpose",
    privacy_retention_label: "Retention",
    privacy_dpo_label: "Data protection officer",
    privacy_rights_label: "Your rights",
    privacy_controller_default: "The organisation operating this service for OPS survey missions (see your mission's agreement).",
    privacy_purpose_default: "Exchanging OPS survey files and their aggregated results securely between social landlords, consultancies and inter-municipal bodies, and keeping a record of every operation.",
    privacy_dpo_default: "The controller's data protection officer, reachable through the platform administrator.",
    privacy_rights_default: "You may access the data about you, have it corrected or erased, restrict its processing or object to it, by writing to the data protection officer. You may also complain to the CNIL, the French data protection authority (www.cnil.fr).",
    enroll_link_text: "open the key directly in the app",
    file_uploaded_by_col: "Uploaded by",
    file_ref_label: "ref.",
    files_sort_hint: "To sort the list, choose a column heading.",
    quarantine_heading: "Direct identifiers found",
    quarantine_advice: "What to do? Remove these columns from the file, upload it again, then delete this one. If the processor confirms that the agreement provides for these columns, send it on instead and say why (“Send it on anyway…”).",
    violations_previous: "At the last release attempt, the statistical disclosure check refused these cells. Fix them and upload a new version of the result.",
    violation_labels_col: "Row labels",
    violations_export: "Download the list of refused cells (CSV)",
    upload_cancel: "Cancel the upload",
    upload_cancelled: "Upload cancelled: nothing was stored.",
    upload_done: "Uploaded.",
    upload_waiting: "Waiting…",
    upload_list_label: "Uploads in progress",
    upload_show_list: "Show the updated list",
    destroyed_heading: "Mission destroyed",
    destroyed_text: "This mission's files, its encryption keys and its participants' access have been destroyed, backups included: nothing can be read from them any more. The signed certificate of destruction is the proof.",
    destroyed_certificate_link: "View the certificate of destruction",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_round_trip() {
        for lang in [Lang::Fr, Lang::En] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::default(), Lang::Fr);
    }

    #[test]
    fn plural_messages() {
        assert!(Lang::Fr.too_many_attempts(61).contains("2 minutes"));
        assert!(Lang::Fr.too_many_attempts(5).contains("1 minute."));
        assert!(Lang::En.idle_note(30).contains("30 minutes"));
        assert!(Lang::En.idle_note(1).contains("1 minute."));
    }

    #[test]
    fn time_left_in_words() {
        const H: i64 = 3600;
        assert_eq!(
            Lang::Fr.time_left(10 * 24 * H - 120, false),
            "se termine dans 10 jours"
        );
        assert_eq!(
            Lang::Fr.time_left(5 * H + 10, false),
            "se termine dans 5 heures"
        );
        assert_eq!(Lang::Fr.time_left(H, false), "se termine dans 1 heure");
        assert_eq!(Lang::Fr.time_left(24 * H, false), "se termine dans 1 jour");
        assert_eq!(
            Lang::Fr.time_left(59 * 60, false),
            "se termine dans moins d'une heure"
        );
        assert_eq!(Lang::Fr.time_left(0, false), "terminée");
        assert_eq!(Lang::Fr.time_left(5 * H, true), "terminée");
        assert_eq!(Lang::En.time_left(12 * 24 * H, false), "ends in 12 days");
        assert_eq!(Lang::En.time_left(-5, false), "ended");
    }

    #[test]
    fn roles_statuses_and_sizes() {
        assert_eq!(Lang::Fr.role_name("processor"), "chargé d'études");
        assert_eq!(Lang::Fr.mission_status("suspended"), "suspendue");
        assert_eq!(Lang::En.mission_status("destroyed"), "destroyed");
        assert_eq!(Lang::Fr.file_size(12), "12 octets");
        assert_eq!(Lang::Fr.file_size(1536), "1,5 Ko");
        assert_eq!(Lang::En.file_size(3 * 1024 * 1024), "3.0 MB");
        assert_eq!(Lang::Fr.size_limit(500), "500 octets");
        assert_eq!(Lang::Fr.size_limit(64 * 1024), "64 Ko");
        assert_eq!(Lang::Fr.size_limit(1536 * 1024), "1,5 Mo");
        assert_eq!(Lang::Fr.size_limit(2 * 1024 * 1024 * 1024), "2 Go");
    }

    #[test]
    fn numbers_in_french() {
        assert_eq!(Lang::Fr.number("50.0"), "50,0");
        assert_eq!(Lang::Fr.number("12"), "12");
        assert_eq!(Lang::Fr.number("12,5"), "12,5");
        assert_eq!(Lang::Fr.number("s"), "s");
        assert_eq!(Lang::Fr.number("1.2.3"), "1.2.3");
        assert_eq!(Lang::En.number("50.0"), "50.0");
        assert!(Lang::Fr.results_unseen(2).starts_with("2 résultats"));
        assert!(Lang::Fr.notice_uploaded_many(3, 1).contains("quarantaine"));
    }

    #[test]
    fn error_prefix_is_plain_text() {
        assert_eq!(FR.error_prefix, "Erreur :");
        assert_eq!(EN.error_prefix, "Error:");
    }
}

//! The pages: one typed view per template, rendered with autoescaping.
//!
//! Every page extends `base.html` (skip link, header with the language switch, `<main id="contenu">`,
//! footer). The layout asks each page three things through [`Layout`]: where the language switch
//! sends back to, the session's CSRF token on signed-in pages, and whether the page shows errors.

use crate::i18n::Lang;
use askama::Template;

/// What the shared layout needs from a page.
pub trait Layout {
    /// Where the language switch returns; `None` hides the switch (pages answering a login step,
    /// which a reload could not show again).
    fn retour(&self) -> Option<&str> {
        None
    }

    /// The session's CSRF token on signed-in pages (meta tag and logout button).
    fn csrf_token(&self) -> Option<&str> {
        None
    }

    /// True when the page shows an error (its title then starts with "Erreur :").
    fn has_error(&self) -> bool {
        false
    }
}

/// `GET /connexion`: username and password.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Language of the page.
    pub lang: Lang,
    /// The username typed, given back after an error.
    pub username: String,
    /// An information shown above the form (expired session or login step).
    pub notice: Option<String>,
    /// Error tied to the username field.
    pub username_error: Option<String>,
    /// Error tied to the password field (wrong credentials, throttling).
    pub password_error: Option<String>,
    /// The data-protection notice (hidden while empty).
    pub privacy: PrivacyNotice,
}

/// The data-protection notice of the login page, every item already in the page's language.
#[derive(Debug, Clone, Default)]
pub struct PrivacyNotice {
    /// Who is responsible for the processing.
    pub controller: String,
    /// Why.
    pub purpose: String,
    /// For how long.
    pub retention: String,
    /// How to reach the data protection officer.
    pub dpo_contact: String,
    /// The user's rights.
    pub rights: String,
}

impl PrivacyNotice {
    /// The built-in notice, for the items the operator did not set.
    pub fn built_in(lang: Lang, audit_days: u32) -> Self {
        let t = lang.t();
        Self {
            controller: t.privacy_controller_default.to_owned(),
            purpose: t.privacy_purpose_default.to_owned(),
            retention: lang.privacy_retention_default(audit_days),
            dpo_contact: t.privacy_dpo_default.to_owned(),
            rights: t.privacy_rights_default.to_owned(),
        }
    }

    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.controller.is_empty()
            && self.purpose.is_empty()
            && self.retention.is_empty()
            && self.dpo_contact.is_empty()
            && self.rights.is_empty()
    }
}

/// `GET /charte`: the usage charter to read and accept before anything else.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "charter.html")]
pub struct CharterPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The version in force, sent back with the acceptance.
    pub version: String,
    /// The charter's paragraphs.
    pub paragraphs: Vec<String>,
    /// Error tied to the checkbox.
    pub error: Option<String>,
}

impl CharterPage {
    /// Splits a charter text into paragraphs at blank lines.
    pub fn paragraphs_of(text: &str) -> Vec<String> {
        text.replace("\r\n", "\n")
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect()
    }
}

impl Layout for CharterPage {
    fn retour(&self) -> Option<&str> {
        Some("/charte")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.error.is_some()
    }
}

impl Layout for LoginPage {
    fn retour(&self) -> Option<&str> {
        Some("/connexion")
    }
    fn has_error(&self) -> bool {
        self.username_error.is_some() || self.password_error.is_some()
    }
}

/// The password change step (first login or after a reset).
#[derive(Debug, Clone, Default, Template)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    /// Language of the page.
    pub lang: Lang,
    /// Error tied to the new password field (the policy's reason).
    pub password_error: Option<String>,
    /// Error tied to the confirmation field.
    pub confirm_error: Option<String>,
}

impl Layout for ChangePasswordPage {
    fn has_error(&self) -> bool {
        self.password_error.is_some() || self.confirm_error.is_some()
    }
}

/// The key of a TOTP enrollment, shown only in the answer that created it.
#[derive(Debug, Clone, Default)]
pub struct EnrollKey {
    /// The secret in base32.
    pub secret_base32: String,
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
}

/// The TOTP enrollment step.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "enroll.html")]
pub struct EnrollPage {
    /// Language of the page.
    pub lang: Lang,
    /// The key to register; `None` when the page answers a wrong code (the key is not kept).
    pub key: Option<EnrollKey>,
    /// Error tied to the code field.
    pub code_error: Option<String>,
}

impl EnrollPage {
    /// The secret in groups of four characters, easier to type.
    pub fn secret_grouped(&self) -> String {
        self.key
            .as_ref()
            .map(|k| group_by_four(&k.secret_base32))
            .unwrap_or_default()
    }

    /// The grouped secret in lines of four groups, so that it never wraps in the middle.
    pub fn secret_lines(&self) -> Vec<String> {
        let grouped = self.secret_grouped();
        let groups: Vec<&str> = grouped.split(' ').filter(|g| !g.is_empty()).collect();
        groups.chunks(4).map(|line| line.join(" ")).collect()
    }

    /// The `otpauth://` URI as an inline SVG QR code, labelled by the `qr-legende` caption.
    pub fn qr_svg(&self) -> Option<String> {
        self.key
            .as_ref()
            .and_then(|k| crate::qr::svg(&k.otpauth_uri, "qr-legende"))
    }
}

impl Layout for EnrollPage {
    fn has_error(&self) -> bool {
        self.code_error.is_some()
    }
}

/// `ABCDEFGH` → `ABCD EFGH`.
pub fn group_by_four(s: &str) -> String {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The TOTP step of a later login, with the recovery code alternative.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "totp.html")]
pub struct TotpPage {
    /// Language of the page.
    pub lang: Lang,
    /// Error tied to the code field.
    pub code_error: Option<String>,
    /// Error tied to the recovery code field.
    pub recovery_error: Option<String>,
}

impl Layout for TotpPage {
    fn has_error(&self) -> bool {
        self.code_error.is_some() || self.recovery_error.is_some()
    }
}

/// The ten recovery codes, shown once right after enrollment.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    /// Language of the page.
    pub lang: Lang,
    /// The codes.
    pub codes: Vec<String>,
    /// The new session's CSRF token.
    pub csrf_token: String,
}

impl RecoveryCodesPage {
    /// The codes as a text file in a `data:` URI, for the download link.
    pub fn download_href(&self) -> String {
        let t = self.lang.t();
        let mut text = String::new();
        text.push_str(t.codes_file_heading);
        text.push_str("\r\n");
        text.push_str(t.codes_file_note);
        text.push_str("\r\n\r\n");
        for code in &self.codes {
            text.push_str(code);
            text.push_str("\r\n");
        }
        let encoded =
            percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC);
        format!("data:text/plain;charset=utf-8,{encoded}")
    }
}

impl Layout for RecoveryCodesPage {
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// `GET /accueil`: the signed-in user's home.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "home.html")]
pub struct HomePage {
    /// Language of the page.
    pub lang: Lang,
    /// The user's name.
    pub display_name: String,
    /// The user's organisation.
    pub organisation: String,
    /// Minutes before the session ends without activity.
    pub idle_minutes: i64,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The user's missions, in the order the service gives them.
    pub missions: Vec<MissionSummary>,
    /// A platform administrator: the page links to `/admin`.
    pub platform_admin: bool,
}

impl HomePage {
    /// The sentence telling the remaining idle time.
    pub fn idle_note(&self) -> String {
        self.lang.idle_note(self.idle_minutes)
    }
}

impl Layout for HomePage {
    fn retour(&self) -> Option<&str> {
        Some("/accueil")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// One mission as the home and mission pages show it; every text already in the page's language.
#[derive(Debug, Clone, Default)]
pub struct MissionSummary {
    /// Opaque id, for the link to `/missions/{id}`.
    pub id: String,
    /// Name.
    pub name: String,
    /// The caller's roles, in words, comma-separated.
    pub roles: String,
    /// The status, in words.
    pub status: String,
    /// End date (Paris time).
    pub ends_at: String,
    /// Time left, in words.
    pub time_left: String,
    /// Ends within a week: shown with the « Bientôt : » prefix.
    pub soon: bool,
}

/// One file of the mission page, with what the caller may do to it.
#[derive(Debug, Clone, Default)]
pub struct MissionFile {
    /// Opaque id, for the links and forms.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The uploader's organisation.
    pub organisation: String,
    /// Size, in words.
    pub size: String,
    /// Upload date (Paris time).
    pub uploaded_at: String,
    /// State, in words (« en quarantaine » for a quarantined deposit).
    pub state: String,
    /// The caller may download it.
    pub can_download: bool,
    /// The caller may release it to the recipients (an unreleased result).
    pub can_release: bool,
    /// The caller may release it despite its failed disclosure check, with a justification.
    pub can_override: bool,
    /// The caller may let it through the quarantine, with a justification.
    pub can_confirm: bool,
    /// The caller may delete it.
    pub can_delete: bool,
    /// What the identifier scan or the disclosure check found, in words.
    pub findings: Vec<String>,
    /// The refusal of the last action on this file.
    pub error: Option<String>,
    /// The rules a refused release broke.
    pub violations: Vec<Violation>,
    /// The justification typed, given back after an error.
    pub justification: String,
}

/// One broken rule of a refused release.
#[derive(Debug, Clone, Default)]
pub struct Violation {
    /// Sheet (empty for CSV).
    pub sheet: String,
    /// Row as a spreadsheet numbers it.
    pub row: String,
    /// Column header.
    pub column: String,
    /// The cell as written.
    pub value: String,
    /// The rule, in words.
    pub rule: String,
}

/// The upload form of one folder.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    /// `deposits` or `results`: names the form's ids.
    pub folder: String,
    /// Where the form posts without script.
    pub action: String,
    /// Where the script sends the file (the API).
    pub api: String,
    /// The `accept` attribute: `.csv,.xlsx,…`.
    pub accept: String,
    /// The accepted formats, in words.
    pub formats: String,
    /// The size limit in bytes, for the script's early check.
    pub max_bytes: u64,
    /// The size limit, in words.
    pub max_size: String,
    /// Refusal of the last upload.
    pub error: Option<String>,
}

/// One folder of the mission page.
#[derive(Debug, Clone, Default)]
pub struct FolderView {
    /// Its files.
    pub files: Vec<MissionFile>,
    /// Its upload form, when the caller may upload there.
    pub upload: Option<UploadForm>,
}

/// One participant of the mission.
#[derive(Debug, Clone, Default)]
pub struct Participant {
    /// Opaque user id, for the removal form.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Organisation.
    pub organisation: String,
    /// Roles, in words.
    pub roles: String,
    /// Who granted the roles that give raw data (processor), and when; one line each.
    pub grants: Vec<String>,
}

/// The participants section.
#[derive(Debug, Clone, Default)]
pub struct ParticipantsView {
    /// Everyone with a role.
    pub list: Vec<Participant>,
    /// The caller manages the mission (adds and removes participants).
    pub manage: bool,
    /// The username typed, given back after an error.
    pub username: String,
    /// The roles ticked, given back after an error.
    pub roles: Vec<String>,
    /// Refusal of the last change.
    pub error: Option<String>,
}

impl ParticipantsView {
    /// Whether a role's box is ticked.
    pub fn ticked(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// `GET /missions/{id}`: one mission, its folders, its participants, and what the caller may do.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "mission.html")]
pub struct MissionPage {
    /// Language of the page.
    pub lang: Lang,
    /// The page's own path, for the language switch and the forms' return.
    pub path: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The mission.
    pub mission: MissionSummary,
    /// Its purpose.
    pub purpose: String,
    /// What the last action did (« Le fichier a été déposé. »).
    pub notice: Option<String>,
    /// The deposits folder, when the caller has a role there.
    pub deposits: Option<FolderView>,
    /// The results folder.
    pub results: FolderView,
    /// The participants.
    pub participants: ParticipantsView,
    /// The mission was destroyed: no folders, no participants, a link to the certificate.
    pub destroyed: bool,
}

impl MissionPage {
    /// Whether any error is shown (for the title).
    fn any_error(&self) -> bool {
        let folder_error = |f: &FolderView| {
            f.upload.as_ref().is_some_and(|u| u.error.is_some())
                || f.files
                    .iter()
                    .any(|x| x.error.is_some() || !x.violations.is_empty())
        };
        self.deposits.as_ref().is_some_and(folder_error)
            || folder_error(&self.results)
            || self.participants.error.is_some()
    }
}

impl Layout for MissionPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.any_error()
    }
}

/// `GET /deconnecte`: after a logout.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage {
    /// Language of the page.
    pub lang: Lang,
}

impl Layout for SignedOutPage {
    fn retour(&self) -> Option<&str> {
        Some("/deconnecte")
    }
}

/// An error shown as a page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Language of the page.
    pub lang: Lang,
    /// Heading (and title).
    pub title: String,
    /// What happened and what to do.
    pub message: String,
}

impl ErrorPage {
    fn with(lang: Lang, title: &str, message: &str) -> Self {
        Self {
            lang,
            title: title.to_owned(),
            message: message.to_owned(),
        }
    }

    /// 403: missing or wrong anti-forgery token.
    pub fn csrf(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.forbidden_title, t.err_csrf)
    }

    /// 403: a request sent by another site.
    pub fn cross_site(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.forbidden_title, t.err_cross_site)
    }

    /// 404.
    pub fn not_found(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.not_found_title, t.not_found_message)
    }

    /// 423: the mission is suspended.
    pub fn mission_suspended(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.suspended_title, t.suspended_message)
    }

    /// 403: outside the mission's access hours.
    pub fn outside_access_hours(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.outside_hours_title, t.outside_hours_message)
    }

    /// 400 with a reason.
    pub fn bad_request(lang: Lang, message: &str) -> Self {
        Self::with(lang, lang.t().bad_request_title, message)
    }

    /// 500: generic, the detail goes to the log.
    pub fn internal(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.internal_title, t.internal_message)
    }
}

impl Layout for ErrorPage {
    fn retour(&self) -> Option<&str> {
        Some("/")
    }
}

/// The page served when even the error page cannot be rendered.
pub const FALLBACK_ERROR_HTML: &str = "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<title>Erreur interne — Passerelle</title><link rel=\"stylesheet\" href=\"/static/passerelle.css\"></head>\
<body><main id=\"contenu\"><h1>Erreur interne</h1><p>Une erreur interne est survenue ; elle a été consignée. \
Réessayez plus tard.</p><p lang=\"en\">An internal error occurred and was logged. Please try again later.</p>\
</main></body></html>\n";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// No inline script, style or event handler: the CSP allows none.
    pub(crate) fn no_inline_code(html: &str) {
        // Scripts only from our own static files, never inline.
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..html[i..].find("</script>").map_or(html.len(), |e| i + e)];
            assert!(
                tag.starts_with("<script src=\"/static/"),
                "inline script in {html}"
            );
            assert!(tag.ends_with('>'), "inline script in {html}");
        }
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("<style"), "{html}");
        // No inline event handler (` onclick=` and the like).
        for (i, _) in html.match_indices(" on") {
            let rest = &html[i + 3..];
            let name_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
            assert!(
                !rest[name_len..].starts_with('='),
                "inline handler in {html}"
            );
        }
    }

    /// What every page has: doctype, language, one `<h1>`, the skip link, no inline code.
    pub(crate) fn common(html: &str, lang: &str) {
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{html}");
        assert_eq!(html.matches("<h1").count(), 1, "{html}");
        assert!(html.contains("href=\"#contenu\""));
        assert!(html.contains("<main id=\"contenu\""));
        no_inline_code(html);
    }

    #[test]
    fn login_page_ties_errors_to_fields() {
        let page = LoginPage {
            lang: Lang::Fr,
            username: "<b>marie</b>".to_owned(),
            password_error: Some("Identifiant ou mot de passe incorrect.".to_owned()),
            ..Default::default()
        };
        let html = page.render().unwrap();
        common(&html, "fr");
        assert!(html.contains("<title>Erreur : Connexion"));
        assert!(html.contains("aria-describedby=\"password-erreur\""));
        assert!(html.contains("id=\"password-erreur\""));
        assert!(html.contains("Erreur : </span>Identifiant ou mot de passe incorrect."));
        assert!(
            html.contains("&#60;b&#62;marie") || html.contains("&lt;b&gt;marie"),
            "{html}"
        );
        assert!(!html.contains("<b>marie"));
        assert!(html.contains("for=\"username\""));
        assert!(html.contains("action=\"/langue\""));
    }

    #[test]
    fn english_pages() {
        let html = LoginPage {
            lang: Lang::En,
            ..Default::default()
        }
        .render()
        .unwrap();
        common(&html, "en");
        assert!(html.contains("Sign in"));
        assert!(html.contains("value=\"fr\""));
    }

    #[test]
    fn enroll_page_shows_grouped_key_once() {
        let page = EnrollPage {
            lang: Lang::Fr,
            key: Some(EnrollKey {
                secret_base32: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".to_owned(),
                otpauth_uri: "otpauth://totp/P:m?secret=ABCD&issuer=P".to_owned(),
            }),
            code_error: None,
        };
        let html = page.render().unwrap();
        common(&html, "fr");
        assert!(
            html.contains("<span class=\"cle-ligne\">ABCD EFGH IJKL MNOP</span> <span class=\"cle-ligne\">QRST UVWX YZ23 4567</span>"),
            "{html}"
        );
        assert!(
            html.contains("ouvrir la clé directement dans l&#39;application</a>"),
            "{html}"
        );
        assert!(html.contains("<svg class=\"qr\""), "{html}");
        assert!(html.contains("<figcaption id=\"qr-legende\">"), "{html}");
        assert!(
            html.contains("href=\"otpauth://totp/P:m?secret=ABCD&#38;issuer=P\"")
                || html.contains("href=\"otpauth://totp/P:m?secret=ABCD&amp;issuer=P\""),
            "{html}"
        );
        assert!(
            !html.contains("action=\"/langue\""),
            "no language switch mid-login"
        );
        let again = EnrollPage {
            key: None,
            code_error: Some("Code incorrect.".to_owned()),
            ..page
        }
        .render()
        .unwrap();
        assert!(!again.contains("ABCD EFGH"));
        assert!(again.contains("aria-describedby=\"code-aide code-erreur\""));
    }

    #[test]
    fn recovery_codes_download() {
        let page = RecoveryCodesPage {
            lang: Lang::Fr,
            codes: vec!["abcd-efgh-ijkl-mnop".to_owned(); 10],
            csrf_token: "jeton".to_owned(),
        };
        let href = page.download_href();
        assert!(href.starts_with("data:text/plain;charset=utf-8,Codes%20de%20secours"));
        assert!(href.contains("abcd%2Defgh"));
        let html = page.render().unwrap();
        common(&html, "fr");
        assert!(html.contains("download=\"codes-de-secours-passerelle.txt\""));
        assert_eq!(html.matches("<li><code>").count(), 10);
        assert!(html.contains("<meta name=\"csrf-token\" content=\"jeton\">"));
    }

    #[test]
    fn home_page_has_logout_form() {
        let html = HomePage {
            lang: Lang::Fr,
            display_name: "Marie Curie".to_owned(),
            organisation: "Habitat & Co".to_owned(),
            idle_minutes: 30,
            csrf_token: "jeton".to_owned(),
            missions: Vec::new(),
            platform_admin: false,
        }
        .render()
        .unwrap();
        common(&html, "fr");
        assert!(html.contains("Bonjour Marie Curie"));
        assert!(html.contains("Habitat &#38;") || html.contains("Habitat &amp;"));
        assert!(html.contains("name=\"csrf_token\" value=\"jeton\""));
        assert!(html.contains("action=\"/deconnexion\""));
        assert!(html.contains("30 minutes"));
    }

    fn summary(soon: bool) -> MissionSummary {
        MissionSummary {
            id: "m1".to_owned(),
            name: "Étude <OPS>".to_owned(),
            roles: "dépositaire".to_owned(),
            status: "en cours".to_owned(),
            ends_at: "25/01/2027 à 09:00".to_owned(),
            time_left: "se termine dans 10 jours".to_owned(),
            soon,
        }
    }

    #[test]
    fn home_page_lists_missions() {
        let page = HomePage {
            lang: Lang::Fr,
            csrf_token: "jeton".to_owned(),
            missions: vec![summary(false), summary(true)],
            ..Default::default()
        };
        let html = page.render().unwrap();
        common(&html, "fr");
        assert!(html.contains("href=\"/missions/m1\""), "{html}");
        assert!(!html.contains("<OPS>"));
        assert_eq!(html.matches("Bientôt :").count(), 1, "{html}");
        assert!(!html.contains("Vos missions apparaîtront ici."));
        let empty = HomePage::default().render().unwrap();
        assert!(empty.contains("Vos missions apparaîtront ici."));
    }

    fn sample_file(id: &str) -> MissionFile {
        MissionFile {
            id: id.to_owned(),
            name: "ops.csv".to_owned(),
            organisation: "Habitat Sud".to_owned(),
            size: "12 bytes".to_owned(),
            uploaded_at: "15/01/2027 at 09:00".to_owned(),
            state: "in quarantine".to_owned(),
            can_download: true,
            ..Default::default()
        }
    }

    fn upload_form(folder: &str) -> UploadForm {
        UploadForm {
            folder: folder.to_owned(),
            action: format!("/missions/m1/{folder}"),
            api: "/api/v1/missions/m1/deposits".to_owned(),
            accept: ".csv,.xlsx".to_owned(),
            formats: "CSV, XLSX".to_owned(),
            max_bytes: 1024,
            max_size: "1 KiB".to_owned(),
            error: None,
        }
    }

    #[test]
    fn mission_page_lists_files_with_their_actions() {
        let mut result = sample_file("r1");
        result.can_release = true;
        result.can_delete = true;
        let mut refused = sample_file("r2");
        refused.can_override = true;
        refused.error = Some("Refused <now>".to_owned());
        refused.violations = vec![Violation {
            sheet: String::new(),
            row: "3".to_owned(),
            column: "Households".to_owned(),
            value: "4".to_owned(),
            rule: "fewer than 11 households".to_owned(),
        }];
        let page = MissionPage {
            lang: Lang::En,
            path: "/missions/m1".to_owned(),
            csrf_token: "jeton".to_owned(),
            mission: summary(true),
            purpose: "Diagnostic".to_owned(),
            notice: Some("The file was uploaded.".to_owned()),
            deposits: Some(FolderView {
                files: vec![sample_file("f1")],
                upload: Some(upload_form("deposits")),
            }),
            results: FolderView {
                files: vec![result, refused],
                upload: None,
            },
            participants: ParticipantsView::default(),
            destroyed: false,
        };
        let html = page.render().unwrap();
        common(&html, "en");
        assert!(html.contains("href=\"/api/v1/files/f1/content\""), "{html}");
        assert!(html.contains("id=\"fichier-deposits\""), "{html}");
        assert!(!html.contains("id=\"fichier-results\""), "{html}");
        assert!(html.contains("action=\"/fichiers/r1/diffusion\""), "{html}");
        assert!(
            html.contains("action=\"/fichiers/r1/suppression\""),
            "{html}"
        );
        assert!(html.contains("Refused &#60;now&#62;"), "{html}");
        assert!(html.contains("fewer than 11 households"), "{html}");
        assert!(html.contains("The file was uploaded."), "{html}");
        assert!(html.contains("Soon:"), "{html}");
        // Every form posting anything carries the CSRF token.
        // (The language switch only sets a cookie and carries none.)
        let forms = html.matches("<form").count() - html.matches("<form class=\"langue\"").count();
        let tokens = html.matches("name=\"csrf_token\"").count();
        assert_eq!(forms, tokens, "{html}");
        // A processor without management rights sees no participant form.
        assert!(!html.contains("ajout-participant"), "{html}");
    }

    #[test]
    fn managers_get_the_participant_form() {
        let page = MissionPage {
            lang: Lang::Fr,
            path: "/missions/m1".to_owned(),
            csrf_token: "jeton".to_owned(),
            mission: summary(false),
            participants: ParticipantsView {
                list: vec![Participant {
                    user_id: "u1".to_owned(),
                    name: "Alice".to_owned(),
                    organisation: "Habitat Sud".to_owned(),
                    roles: "déposant".to_owned(),
                    grants: Vec::new(),
                }],
                manage: true,
                username: "bob".to_owned(),
                roles: vec!["processor".to_owned()],
                error: Some("Aucun compte actif ne porte cet identifiant.".to_owned()),
            },
            ..Default::default()
        };
        let html = page.render().unwrap();
        common(&html, "fr");
        assert!(html.contains("ajout-participant"), "{html}");
        assert!(
            html.contains("/missions/m1/participants/u1/retrait"),
            "{html}"
        );
        assert!(html.contains("value=\"bob\""), "{html}");
        assert!(
            html.contains("aria-describedby=\"participant-identifiant-aide participant-erreur\""),
            "{html}"
        );
    }

    #[test]
    fn other_pages_render() {
        for html in [
            ChangePasswordPage::default().render().unwrap(),
            TotpPage::default().render().unwrap(),
            SignedOutPage::default().render().unwrap(),
            ErrorPage::csrf(Lang::Fr).render().unwrap(),
            ErrorPage::internal(Lang::En).render().unwrap(),
            ErrorPage::mission_suspended(Lang::Fr).render().unwrap(),
            ErrorPage::outside_access_hours(Lang::En).render().unwrap(),
        ] {
            let lang = if html.contains("<html lang=\"en\"") {
                "en"
            } else {
                "fr"
            };
            common(&html, lang);
        }
        let html = ErrorPage::csrf(Lang::Fr).render().unwrap();
        assert!(html.contains("Jeton anti-falsification invalide : rechargez la page."));
    }

    #[test]
    fn grouping() {
        assert_eq!(group_by_four("ABCDEFGHIJ"), "ABCD EFGH IJ");
        let page = EnrollPage {
            key: Some(EnrollKey {
                secret_base32: "A".repeat(32),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(page.secret_lines(), vec!["AAAA AAAA AAAA AAAA"; 2]);
        assert_eq!(group_by_four(""), "");
    }
}

/// One destroyed file in [`CertificatePage`].
#[derive(Debug, Clone, Default)]
pub struct CertificateFile {
    /// Display name.
    pub name: String,
    /// « dépôts » or « résultats ».
    pub folder: String,
    /// Size in bytes.
    pub size: i64,
    /// Who deposited it.
    pub uploaded_by: String,
    /// When (Paris time, French format).
    pub uploaded_at: String,
    /// When it was destroyed.
    pub destroyed_at: String,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The printable French rendering of a signed destruction certificate.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "certificate.html")]
pub struct CertificatePage {
    /// Language of the page (the certificate itself is in French).
    pub lang: Lang,
    /// Mission name.
    pub mission_name: String,
    /// Purpose.
    pub purpose: String,
    /// Controller organisation.
    pub controller: String,
    /// End of the mission.
    pub ends_at: String,
    /// Early closure, if any.
    pub closed_at: Option<String>,
    /// Retention date of released results, if any.
    pub retained_until: Option<String>,
    /// Key destruction instant.
    pub key_destroyed_at: String,
    /// From when key exports can no longer read the content.
    pub exports_from: String,
    /// When the mission reached `destroyed`.
    pub destroyed_at: String,
    /// Issue instant.
    pub issued_at: String,
    /// Signing instance.
    pub instance: String,
    /// Signing key id.
    pub key_id: String,
    /// Base64 signature.
    pub signature: String,
    /// The destroyed files.
    pub files: Vec<CertificateFile>,
}

impl Layout for CertificatePage {}

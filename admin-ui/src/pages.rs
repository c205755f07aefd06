//! The pages: one typed view per template, rendered with autoescaping.
//!
//! Every page extends `base.html` (skip link, header with the language switch, `<main id="contenu">`,
//! footer). The layout asks each page three things through [`Layout`]: where the language switch
//! sends back to, the session's CSRF token on signed-in pages, and whether the page shows errors.

use crate::i18n::Lang;
use askama::Template;

pub use crate::login_pages::{
    group_by_four, ChangePasswordPage, CharterPage, EnrollKey, EnrollPage, LoginPage,
    PrivacyNotice, RecoveryCodesPage, TotpPage,
};

/// What the shared layout needs from a page.
pub trait Layout {
    /// Where the language switch returns; `None` hides the switch (the recovery codes, shown
    /// once: another page would lose them). The login steps return to `/connexion/etape`, which
    /// shows the pending step again from the login cookie.
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

    /// An alert shown at the top of the page: the lockdown's, on the administration pages
    /// (see [`crate::ops_pages::with_banner`]).
    fn banner(&self) -> Option<String> {
        crate::ops_pages::current_banner()
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
    /// The user's running missions, in the order the service gives them.
    pub missions: Vec<MissionSummary>,
    /// Ended or destroyed missions whose page the user may still see.
    pub ended: Vec<MissionSummary>,
    /// Destroyed missions whose certificate only the user may still read.
    pub certificates: Vec<MissionSummary>,
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
    /// The first characters of its id, to tell apart two files of the same name.
    pub short_id: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// Size in bytes, for sorting.
    pub size_bytes: i64,
    /// Upload instant (ms), for sorting.
    pub uploaded_ms: i64,
    /// Held in quarantine by the identifier scan: its findings are a warning, with advice.
    pub quarantined: bool,
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
    /// Who downloaded it and when, for those who may know (`None` for everyone else).
    pub receipt: Option<crate::Receipt>,
}

impl MissionFile {
    /// Whether a refused cell lies in a named sheet (a workbook): the sheet column shows then.
    pub fn violations_have_sheets(&self) -> bool {
        self.violations.iter().any(|v| !v.sheet.is_empty())
    }

    /// Whether a refused cell's row has labels: the labels column shows then.
    pub fn violations_have_labels(&self) -> bool {
        self.violations.iter().any(|v| !v.labels.is_empty())
    }

    /// Whether anything shows under the file's line: findings, an error, refused cells, actions
    /// beyond the download.
    pub fn has_details(&self) -> bool {
        !self.findings.is_empty()
            || self.error.is_some()
            || !self.violations.is_empty()
            || self.can_release
            || self.can_override
            || self.can_confirm
            || self.can_delete
            || self.receipt.is_some()
    }
}

/// A column the file tables sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The file's name.
    Name,
    /// The uploader's organisation.
    Organisation,
    /// The uploader.
    UploadedBy,
    /// The upload date (the default, newest first).
    #[default]
    Date,
    /// The size.
    Size,
    /// The state.
    State,
}

impl SortKey {
    /// Every key, in the columns' order.
    pub const ALL: [SortKey; 6] = [
        SortKey::Name,
        SortKey::Organisation,
        SortKey::UploadedBy,
        SortKey::Date,
        SortKey::Size,
        SortKey::State,
    ];

    /// The key's word in the query (`?tri=taille`).
    pub fn code(self) -> &'static str {
        match self {
            SortKey::Name => "nom",
            SortKey::Organisation => "organisme",
            SortKey::UploadedBy => "depose-par",
            SortKey::Date => "date",
            SortKey::Size => "taille",
            SortKey::State => "etat",
        }
    }

    /// The key a query word names.
    pub fn parse(code: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The column's heading.
    pub fn heading(self, lang: Lang) -> &'static str {
        let t = lang.t();
        match self {
            SortKey::Name => t.file_name_col,
            SortKey::Organisation => t.file_org_label,
            SortKey::UploadedBy => t.file_uploaded_by_col,
            SortKey::Date => t.file_uploaded_col,
            SortKey::Size => t.file_size_col,
            SortKey::State => t.file_state_col,
        }
    }
}

/// How the file tables are sorted (`?tri=…&ordre=asc|desc`); the script sorts the same way
/// without reloading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSort {
    /// The column.
    pub key: SortKey,
    /// Largest, latest or last in the alphabet first.
    pub descending: bool,
}

impl Default for FileSort {
    fn default() -> Self {
        Self {
            key: SortKey::Date,
            descending: true,
        }
    }
}

impl FileSort {
    /// The sort a query asks for (`tri`, `ordre`), the default for anything else.
    pub fn from_query(tri: Option<&str>, ordre: Option<&str>) -> Self {
        match tri.and_then(SortKey::parse) {
            Some(key) => Self {
                key,
                descending: ordre == Some("desc"),
            },
            None => Self::default(),
        }
    }

    /// Sorts the files (a stable sort: equal files keep their order).
    pub fn apply(&self, files: &mut [MissionFile]) {
        let text = |s: &str| s.to_lowercase();
        files.sort_by(|a, b| {
            let order = match self.key {
                SortKey::Name => text(&a.name).cmp(&text(&b.name)),
                SortKey::Organisation => text(&a.organisation).cmp(&text(&b.organisation)),
                SortKey::UploadedBy => text(&a.uploaded_by).cmp(&text(&b.uploaded_by)),
                SortKey::Date => a.uploaded_ms.cmp(&b.uploaded_ms),
                SortKey::Size => a.size_bytes.cmp(&b.size_bytes),
                SortKey::State => text(&a.state).cmp(&text(&b.state)),
            };
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
    }
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
    /// The row's label cells (`Carvin · Centre`), to find the row by what it describes.
    pub labels: String,
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
    /// The manager's section (dates, suspension, closing), for those who may manage it now.
    pub manage: Option<crate::life_pages::ManageView>,
    /// What a suspended, ended or destroyed mission's page says of its state.
    pub state: Option<crate::life_pages::MissionStateView>,
    /// The notice is a warning (a deposit held in quarantine) rather than a success.
    pub notice_is_warning: bool,
    /// How the file tables are sorted.
    pub sort: FileSort,
    /// Released results the caller may not read (a manager who is not a recipient).
    pub results_unseen: usize,
}

impl MissionPage {
    /// Whether the participants are shown: not once the mission has ended (nobody has access
    /// any more but what its state section says).
    pub fn shows_participants(&self) -> bool {
        self.state.as_ref().is_none_or(|s| s.suspended)
    }

    /// Whether the folders and participants are shown (not for a destroyed or suspended mission).
    pub fn shows_folders(&self) -> bool {
        !self.destroyed && !self.state.as_ref().is_some_and(|s| s.suspended)
    }

    /// Whether an error of this request is shown (for the title). The refused cells of an
    /// earlier release are shown too, but they are no error of this page: after a successful
    /// release of another file, the title says so without « Erreur : ».
    fn any_error(&self) -> bool {
        let folder_error = |f: &FolderView| {
            f.upload.as_ref().is_some_and(|u| u.error.is_some())
                || f.files.iter().any(|x| x.error.is_some())
        };
        self.deposits.as_ref().is_some_and(folder_error)
            || folder_error(&self.results)
            || self.participants.error.is_some()
    }
}

impl MissionPage {
    /// The file tables' sortable columns.
    pub fn sort_keys(&self) -> [SortKey; 6] {
        SortKey::ALL
    }

    /// The link of a column's heading: sorts by it, the other way when it already sorts; back
    /// to the folder `anchor`.
    pub fn sort_href(&self, key: &SortKey, anchor: &str) -> String {
        let descending = if self.sort.key == *key {
            !self.sort.descending
        } else {
            // Dates and sizes read best largest first, words from A.
            matches!(key, SortKey::Date | SortKey::Size)
        };
        let order = if descending { "desc" } else { "asc" };
        format!("{}?tri={}&ordre={order}#{anchor}", self.path, key.code())
    }

    /// The `aria-sort` of a column's heading.
    pub fn aria_sort(&self, key: &SortKey) -> &'static str {
        match (self.sort.key == *key, self.sort.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// A sortable column's heading.
    pub fn sort_heading(&self, key: &SortKey) -> &'static str {
        key.heading(self.lang)
    }

    /// The sentence about released results the caller may not read.
    pub fn results_unseen_note(&self) -> String {
        self.lang.results_unseen(self.results_unseen)
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

    /// 403: the caller's role in the mission does not allow the operation (distinct from the
    /// anti-forgery refusal, which asks to reload the page).
    pub fn role_refused(lang: Lang) -> Self {
        let t = lang.t();
        Self::with(lang, t.role_refused_title, t.role_refused_message)
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

    /// 503: the service is locked down (French first, whatever the language).
    pub fn locked_down(lang: Lang) -> Self {
        Self::with(
            lang,
            crate::ops_i18n::LOCKED_DOWN_TITLE,
            crate::ops_i18n::LOCKED_DOWN_MESSAGE,
        )
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
    fn enroll_page_shows_grouped_key() {
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
        // The language switch shows the pending step again from its own address.
        assert!(
            html.contains("name=\"retour\" value=\"/connexion/etape\""),
            "{html}"
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
            ..Default::default()
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
            labels: "Carvin · Centre".to_owned(),
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
            ..Default::default()
        };
        let html = page.render().unwrap();
        common(&html, "en");
        assert!(html.contains("href=\"/fichiers/f1/contenu\""), "{html}");
        // The refused cells: no sheet column for a CSV file, the row's labels, the export.
        assert!(!html.contains(">Sheet</th>"), "{html}");
        assert!(html.contains("<td>Carvin · Centre</td>"), "{html}");
        assert!(
            html.contains("href=\"/fichiers/r2/cases-refusees.csv\""),
            "{html}"
        );
        // An error of this request: the title says so.
        assert!(html.contains("<title>Error:"), "{html}");
        // The columns sort: by date, newest first, by default; each heading links its order.
        assert!(
            html.contains("aria-sort=\"descending\" data-cle=\"date\""),
            "{html}"
        );
        assert!(html.contains("?tri=nom&"), "{html}");
        assert!(html.contains("ordre=asc#depots\""), "{html}");
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
    fn earlier_refused_cells_are_no_error_of_the_page() {
        let mut failed = sample_file("r1");
        failed.violations = vec![Violation {
            sheet: "Feuil1".to_owned(),
            row: "3".to_owned(),
            value: "50,0".to_owned(),
            ..Default::default()
        }];
        let mut page = MissionPage {
            lang: Lang::Fr,
            path: "/missions/m1".to_owned(),
            csrf_token: "jeton".to_owned(),
            notice: Some("« b.csv » est mis à disposition des destinataires.".to_owned()),
            results: FolderView {
                files: vec![failed],
                upload: None,
            },
            ..Default::default()
        };
        let html = page.render().unwrap();
        common(&html, "fr");
        assert!(!html.contains("<title>Erreur"), "{html}");
        assert!(html.contains("class=\"avis-succes\""), "{html}");
        // A workbook's cells name their sheet.
        assert!(html.contains(">Feuille</th>"), "{html}");
        assert!(html.contains(">50,0</td>"), "{html}");
        // A deposit held in quarantine: a warning, never the green of a success.
        page.notice_is_warning = true;
        let html = page.render().unwrap();
        assert!(
            html.contains("<p class=\"avis-attention\" role=\"status\">"),
            "{html}"
        );
    }

    #[test]
    fn files_sort_by_any_column() {
        let mut a = sample_file("a");
        a.name = "b.csv".to_owned();
        a.size_bytes = 10;
        a.uploaded_ms = 2;
        let mut b = sample_file("b");
        b.name = "A.csv".to_owned();
        b.size_bytes = 30;
        b.uploaded_ms = 1;
        let mut files = vec![a, b];
        FileSort::from_query(Some("nom"), Some("asc")).apply(&mut files);
        assert_eq!(files[0].name, "A.csv");
        FileSort::from_query(Some("taille"), Some("desc")).apply(&mut files);
        assert_eq!(files[0].size_bytes, 30);
        FileSort::from_query(Some("inconnu"), None).apply(&mut files);
        assert_eq!(files[0].uploaded_ms, 2, "the default: newest first");
        assert!(!FileSort::from_query(Some("date"), Some("asc")).descending);
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
            ErrorPage::role_refused(Lang::Fr).render().unwrap(),
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
        let html = ErrorPage::role_refused(Lang::En).render().unwrap();
        assert!(html.contains("Your role in this mission does not allow this operation."));
        assert!(!html.contains("reload"));
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
        let key = page.key.as_ref().unwrap();
        assert_eq!(key.secret_lines(), vec!["AAAA AAAA AAAA AAAA"; 2]);
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
    /// Who ended the mission: the person who closed it, or its end date (« échéance »).
    pub ended_by: String,
    /// A link back (to the mission page, or home) on the web page; none on the API's rendering.
    pub back_link: Option<String>,
    /// The back link's text.
    pub back_text: String,
    /// Where the signed JSON is downloaded, on the web page.
    pub json_link: Option<String>,
    /// The signed-in session's CSRF token (the web page's header and sign-out button).
    pub csrf_token: Option<String>,
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

impl Layout for CertificatePage {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

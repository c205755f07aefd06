//! The login steps' pages: password, charter, password change, TOTP enrolment and code, recovery
//! codes. Each extends `base.html` through [`Layout`], as the other pages do.

use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

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

/// Where the language switch of a login step returns: the pending step, shown again.
pub const LOGIN_STEP_PATH: &str = "/connexion/etape";

impl Layout for ChangePasswordPage {
    fn retour(&self) -> Option<&str> {
        Some(LOGIN_STEP_PATH)
    }
    fn has_error(&self) -> bool {
        self.password_error.is_some() || self.confirm_error.is_some()
    }
}

/// The key of a TOTP enrollment, shown while its login challenge is pending.
#[derive(Debug, Clone, Default)]
pub struct EnrollKey {
    /// The secret in base32.
    pub secret_base32: String,
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
}

impl EnrollKey {
    /// The secret in groups of four characters (easier to type), four groups a line, so that it
    /// never wraps in the middle of a group.
    pub fn secret_lines(&self) -> Vec<String> {
        let grouped = group_by_four(&self.secret_base32);
        let groups: Vec<&str> = grouped.split(' ').filter(|g| !g.is_empty()).collect();
        groups.chunks(4).map(|line| line.join(" ")).collect()
    }

    /// The `otpauth://` URI as an inline SVG QR code, labelled by the `qr-legende` caption.
    pub fn qr_svg(&self) -> Option<String> {
        crate::qr::svg(&self.otpauth_uri, "qr-legende")
    }
}

/// The TOTP enrollment step.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "enroll.html")]
pub struct EnrollPage {
    /// Language of the page.
    pub lang: Lang,
    /// The key to register (shown again with a wrong code's error); `None` once the login step
    /// is over (too many wrong codes): the page says how to get a new one.
    pub key: Option<EnrollKey>,
    /// Error tied to the code field.
    pub code_error: Option<String>,
}

impl Layout for EnrollPage {
    fn retour(&self) -> Option<&str> {
        Some(LOGIN_STEP_PATH)
    }
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
    /// For an account with passkeys: the WebAuthn request options (JSON) for the script.
    pub passkey_options: Option<String>,
    /// Why the passkey was refused.
    pub passkey_error: Option<String>,
}

impl Layout for TotpPage {
    fn retour(&self) -> Option<&str> {
        Some(LOGIN_STEP_PATH)
    }
    fn has_error(&self) -> bool {
        self.code_error.is_some() || self.recovery_error.is_some() || self.passkey_error.is_some()
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

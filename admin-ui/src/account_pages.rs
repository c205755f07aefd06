//! The self-service account pages (`/compte`) and the forgotten-password pages. Each extends
//! `base.html` through [`Layout`], as the other pages do.

use crate::i18n::Lang;
use crate::login_pages::EnrollKey;
use crate::pages::{Layout, MissionSummary};
use askama::Template;

/// One of the person's sessions, every text already in the page's language.
#[derive(Debug, Clone, Default)]
pub struct AccountSession {
    /// Public id, for the form that ends it.
    pub id: String,
    /// The device, in plain words.
    pub device: String,
    /// The address it was opened from.
    pub address: String,
    /// When it was opened (Paris time).
    pub opened: String,
    /// Its last use (Paris time).
    pub last_use: String,
    /// The session showing the page.
    pub current: bool,
}

/// `GET /compte`: the person's own account.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// A confirmation of the last action.
    pub notice: Option<String>,
    /// The person's name.
    pub display_name: String,
    /// Login name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Organisation.
    pub organisation: String,
    /// Error tied to the current password.
    pub current_error: Option<String>,
    /// Error tied to the new password.
    pub password_error: Option<String>,
    /// Error tied to the confirmation.
    pub confirm_error: Option<String>,
    /// The live sessions, most recently used first.
    pub sessions: Vec<AccountSession>,
    /// Unused recovery codes.
    pub codes_left: i64,
    /// Error tied to the recovery codes form's code.
    pub codes_error: Option<String>,
    /// Error tied to the new authenticator form's code.
    pub totp_error: Option<String>,
    /// The person's passkeys, oldest first.
    pub passkeys: Vec<AccountPasskey>,
    /// Error tied to the new passkey's name.
    pub pk_name_error: Option<String>,
    /// Error tied to the new passkey form's password.
    pub pk_password_error: Option<String>,
    /// Why a passkey could not be removed.
    pub pk_list_error: Option<String>,
    /// Whether the authenticator app may be removed (passkeys replace it on this instance).
    pub totp_removable: bool,
    /// Error tied to the app removal form's code.
    pub totp_remove_error: Option<String>,
    /// The missions where the person holds a role.
    pub missions: Vec<MissionSummary>,
}

/// One passkey on the account page.
#[derive(Debug, Clone, Default)]
pub struct AccountPasskey {
    /// Its id (for removal).
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was added, written out.
    pub added: String,
    /// Its last use, written out (`None`: never).
    pub last_used: Option<String>,
}

/// `POST /compte/cles`: the step where the browser creates the passkey.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "account_passkey.html")]
pub struct AccountPasskeyPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The registration's single-use id (`None` when there is nothing to register any more).
    pub ceremony: Option<String>,
    /// The creation options (JSON) for the script.
    pub options: String,
    /// Why the last answer was refused.
    pub error: Option<String>,
}

impl Layout for AccountPasskeyPage {
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.error.is_some()
    }
}

impl Layout for AccountPage {
    fn retour(&self) -> Option<&str> {
        Some("/compte")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.current_error.is_some()
            || self.password_error.is_some()
            || self.confirm_error.is_some()
            || self.codes_error.is_some()
            || self.totp_error.is_some()
            || self.pk_name_error.is_some()
            || self.pk_password_error.is_some()
            || self.totp_remove_error.is_some()
            || self.pk_list_error.is_some()
    }
}

/// `POST /compte/authentificateur`: the new key, to confirm with a code.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "account_enrol.html")]
pub struct AccountEnrolPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The key (`None`: nothing pending, the page says to start again).
    pub key: Option<EnrollKey>,
    /// Error tied to the code.
    pub code_error: Option<String>,
}

impl Layout for AccountEnrolPage {
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.code_error.is_some()
    }
}

/// New recovery codes, shown once (after a renewal or a new authenticator).
#[derive(Debug, Clone, Default, Template)]
#[template(path = "account_codes.html")]
pub struct AccountCodesPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The codes.
    pub codes: Vec<String>,
}

impl AccountCodesPage {
    /// The codes as a text file in a `data:` URI, for the download link.
    pub fn download_href(&self) -> String {
        crate::login_pages::RecoveryCodesPage {
            lang: self.lang,
            codes: self.codes.clone(),
            csrf_token: String::new(),
        }
        .download_href()
    }
}

impl Layout for AccountCodesPage {
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// `GET /mot-de-passe-oublie`: the e-mail address.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "forgot_password.html")]
pub struct ForgotPasswordPage {
    /// Language of the page.
    pub lang: Lang,
    /// The address typed, given back after an error.
    pub email: String,
    /// Shown after a request (the same whatever the address).
    pub notice: Option<String>,
    /// Error tied to the address (empty, throttled).
    pub email_error: Option<String>,
}

impl Layout for ForgotPasswordPage {
    fn retour(&self) -> Option<&str> {
        Some("/mot-de-passe-oublie")
    }
    fn has_error(&self) -> bool {
        self.email_error.is_some()
    }
}

/// `GET /mot-de-passe-oublie/nouveau?jeton=…`: the new password and the second factor.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage {
    /// Language of the page.
    pub lang: Lang,
    /// The link's token, carried in a hidden field (`None`: the link is dead).
    pub token: Option<String>,
    /// The page's own path with its token, for the language switch.
    pub path: String,
    /// Error tied to the new password.
    pub password_error: Option<String>,
    /// Error tied to the confirmation.
    pub confirm_error: Option<String>,
    /// Error tied to the second factor.
    pub code_error: Option<String>,
}

impl Layout for ResetPasswordPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn has_error(&self) -> bool {
        self.password_error.is_some() || self.confirm_error.is_some() || self.code_error.is_some()
    }
}

//! The operations pages (issue 17): the lockdown page and the banner it puts on the
//! administration home.

use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

/// `GET /admin/interruption`: the lockdown's state and the form that changes it.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_lockdown.html")]
pub struct AdminLockdownPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The service is locked down.
    pub active: bool,
    /// The reason given at the last change.
    pub reason: String,
    /// When it last changed, in Paris time (empty: never).
    pub changed_at: String,
    /// Who changed it last, in words.
    pub changed_by: String,
    /// The reason typed, shown again after an error.
    pub typed_reason: String,
    /// What was just done.
    pub notice: Option<String>,
    /// What to fix in the form.
    pub form_error: Option<String>,
    /// The lockdown banner.
    pub banner: Option<String>,
}

impl Layout for AdminLockdownPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/interruption")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.form_error.is_some()
    }
    fn banner(&self) -> Option<&str> {
        self.banner.as_deref()
    }
}

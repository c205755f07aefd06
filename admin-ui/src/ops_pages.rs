//! The operations pages (issue 17): the lockdown page, and the banner the lockdown puts on every
//! administration page.
//!
//! The banner is not a field of each page: the gateway renders an administration page inside
//! [`with_banner`], and [`Layout::banner`] reads it while `base.html` renders (rendering is
//! synchronous, on one thread).

use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;
use std::cell::RefCell;

thread_local! {
    static BANNER: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `render` with `banner` shown at the top of the page (`None`: no banner).
pub fn with_banner<R>(banner: Option<String>, render: impl FnOnce() -> R) -> R {
    let before = BANNER.with(|b| b.replace(banner));
    let out = render();
    BANNER.with(|b| b.replace(before));
    out
}

/// The banner of the page being rendered, if any.
pub fn current_banner() -> Option<String> {
    BANNER.with(|b| b.borrow().clone())
}

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
}

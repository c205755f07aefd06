//! The pages of invitations: the one an invitation link opens, and the rows of pending
//! invitations on the administrators' accounts page.

use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

/// `GET /invitation?jeton=…`: the password and the charter, the first two of three steps.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "invitation.html")]
pub struct InvitationPage {
    /// Language of the page.
    pub lang: Lang,
    /// The link's token, carried in a hidden field (`None`: the link is dead).
    pub token: Option<String>,
    /// The page's own path with its token, for the language switch.
    pub path: String,
    /// The invited person's name.
    pub display_name: String,
    /// Their login name.
    pub username: String,
    /// The charter version in force, sent back with the acceptance.
    pub version: String,
    /// The charter's paragraphs.
    pub paragraphs: Vec<String>,
    /// Error tied to the new password.
    pub password_error: Option<String>,
    /// Error tied to the confirmation.
    pub confirm_error: Option<String>,
    /// Error tied to the charter's checkbox.
    pub charter_error: Option<String>,
}

impl Layout for InvitationPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn has_error(&self) -> bool {
        self.password_error.is_some()
            || self.confirm_error.is_some()
            || self.charter_error.is_some()
    }
}

/// A pending invitation on the accounts page.
#[derive(Debug, Clone, Default)]
pub struct AdminInvitation {
    /// The account's id, for the actions.
    pub user_id: String,
    /// Its login name.
    pub username: String,
    /// Its name.
    pub display_name: String,
    /// Where the link went.
    pub email: String,
    /// Sent at (Paris time).
    pub sent_at: String,
    /// Valid until (Paris time).
    pub expires_at: String,
}

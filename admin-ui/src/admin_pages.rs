//! The platform administrators' pages: organisations, accounts, access review, audit trail,
//! destruction certificates and missions.
//!
//! Every view extends `base.html` through [`Layout`], carries the session's CSRF token (the pages
//! are signed-in pages) and holds its texts already in the page's language: the gateway turns
//! dates, states and roles into words, the templates only place them.

use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

/// One entry of a `<select>` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// The value sent with the form.
    pub value: String,
    /// What the person reads.
    pub label: String,
    /// Chosen when the page shows.
    pub selected: bool,
}

impl Choice {
    /// An entry, chosen when `value` equals `current`.
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        let selected = value == current;
        Self {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// `GET /admin`: the sections of the administration.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_index.html")]
pub struct AdminIndexPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The last scheduled backup failed: when and why (shown as a warning).
    pub backup_failure: Option<String>,
    /// The last scheduled backup succeeded: when and where.
    pub backup_success: Option<String>,
}

impl Layout for AdminIndexPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// One organisation of the list.
#[derive(Debug, Clone, Default)]
pub struct AdminOrg {
    /// Opaque id, for the edit link.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind, in words.
    pub kind: String,
}

/// `GET /admin/organisations`: the list and the creation form.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_organisations.html")]
pub struct AdminOrganisationsPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// A confirmation shown above the list (after a creation).
    pub notice: Option<String>,
    /// Every organisation.
    pub organisations: Vec<AdminOrg>,
    /// The name typed, given back after an error.
    pub name: String,
    /// The kinds offered, the chosen one selected.
    pub kinds: Vec<Choice>,
    /// Error tied to the name field.
    pub name_error: Option<String>,
    /// Error tied to the kind field.
    pub kind_error: Option<String>,
}

impl Layout for AdminOrganisationsPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/organisations")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.name_error.is_some() || self.kind_error.is_some()
    }
}

/// One account of the list.
#[derive(Debug, Clone, Default)]
pub struct AdminUser {
    /// Opaque id, for the action links.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Organisation name.
    pub organisation: String,
    /// State, in words.
    pub state: String,
    /// A platform administrator.
    pub platform_admin: bool,
    /// Disabled: no disable link.
    pub disabled: bool,
    /// Last login (Paris time) or « jamais ».
    pub last_login: String,
    /// Never enrolled and enabled: an invitation may be sent.
    pub can_invite: bool,
}

/// `GET /admin/utilisateurs`: every account, with its actions.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_users.html")]
pub struct AdminUsersPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// A confirmation shown above the list (after a disable).
    pub notice: Option<String>,
    /// Every account.
    pub users: Vec<AdminUser>,
    /// The pending invitations.
    pub invitations: Vec<crate::invite_pages::AdminInvitation>,
}

impl Layout for AdminUsersPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/utilisateurs")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// `GET /admin/utilisateurs/nouveau`: the account creation form.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_new_user.html")]
pub struct AdminNewUserPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Username typed.
    pub username: String,
    /// Name typed.
    pub display_name: String,
    /// E-mail typed.
    pub email: String,
    /// The organisations, the chosen one selected.
    pub organisations: Vec<Choice>,
    /// « Oui » chosen for platform administrator (« Non » otherwise).
    pub platform_admin: bool,
    /// « Envoyer une invitation par e-mail » ticked.
    pub send_invitation: bool,
    /// Error tied to the username.
    pub username_error: Option<String>,
    /// Error tied to the name.
    pub display_name_error: Option<String>,
    /// Error tied to the e-mail.
    pub email_error: Option<String>,
    /// Error tied to the organisation.
    pub organisation_error: Option<String>,
    /// An error no single field explains, shown above the form.
    pub form_error: Option<String>,
}

impl Layout for AdminNewUserPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/utilisateurs/nouveau")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.username_error.is_some()
            || self.display_name_error.is_some()
            || self.email_error.is_some()
            || self.organisation_error.is_some()
            || self.form_error.is_some()
    }
}

/// The temporary password of a new or reset account, shown in this answer only.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_password.html")]
pub struct AdminPasswordPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// After a reset (else after a creation).
    pub reset: bool,
    /// The account's name.
    pub display_name: String,
    /// Its login name.
    pub username: String,
    /// The temporary password.
    pub password: String,
    /// The invitation sent with the account, in words (`None`: none was sent).
    pub invitation: Option<String>,
}

impl Layout for AdminPasswordPage {
    // No language switch: the password exists only in this answer, a reload could not show it.
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// What a confirmation page confirms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccountAction {
    /// Disabling the account.
    #[default]
    Disable,
    /// Resetting its password and second factor.
    Reset,
    /// Enabling a disabled account again.
    Enable,
}

/// `GET /admin/utilisateurs/{id}/desactiver` and `/reinitialiser`: the confirmation step.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_confirm.html")]
pub struct AdminConfirmPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// What is confirmed.
    pub action: AccountAction,
    /// The page's own path, also where the form posts.
    pub path: String,
    /// The account's login name.
    pub username: String,
    /// Its name.
    pub display_name: String,
    /// Its organisation.
    pub organisation: String,
    /// Its state, in words.
    pub state: String,
    /// Already disabled (disabling again is pointless: no form).
    pub disabled: bool,
    /// The administrator's own account.
    pub own_account: bool,
}

impl AdminConfirmPage {
    /// The page's title and heading.
    pub fn title(&self) -> &'static str {
        let a = self.lang.admin();
        match self.action {
            AccountAction::Disable => a.disable_title,
            AccountAction::Reset => a.reset_title,
            AccountAction::Enable => self.lang.life().enable_title,
        }
    }

    /// What the action does.
    pub fn effects(&self) -> &'static str {
        let a = self.lang.admin();
        match self.action {
            AccountAction::Disable => a.disable_effects,
            AccountAction::Reset => a.reset_effects,
            AccountAction::Enable => self.lang.life().enable_effects,
        }
    }

    /// The confirm button.
    pub fn submit(&self) -> &'static str {
        let a = self.lang.admin();
        match self.action {
            AccountAction::Disable => a.disable_confirm,
            AccountAction::Reset => a.reset_confirm,
            AccountAction::Enable => self.lang.life().enable_confirm,
        }
    }

    /// Whether the form is shown (disabling a disabled account is not offered).
    pub fn offers_form(&self) -> bool {
        match self.action {
            AccountAction::Disable => !self.disabled,
            AccountAction::Enable => self.disabled,
            AccountAction::Reset => true,
        }
    }

    /// The button warns (disabling, resetting); enabling does not.
    pub fn danger(&self) -> bool {
        self.action != AccountAction::Enable
    }

    /// Why no form is offered.
    pub fn not_offered(&self) -> &'static str {
        match self.action {
            AccountAction::Enable => self.lang.life().already_enabled,
            AccountAction::Disable | AccountAction::Reset => self.lang.admin().already_disabled,
        }
    }
}

impl Layout for AdminConfirmPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// One account of the access review.
#[derive(Debug, Clone, Default)]
pub struct ReviewLine {
    /// Login name.
    pub username: String,
    /// Name.
    pub display_name: String,
    /// Organisation name.
    pub organisation: String,
    /// State, in words.
    pub state: String,
    /// A platform administrator.
    pub platform_admin: bool,
    /// « Mission (état) : rôle, rôle », one per mission.
    pub missions: Vec<String>,
    /// Last login (Paris time) or « jamais ».
    pub last_login: String,
    /// Enabled and without a login for the threshold or more: highlighted and prefixed.
    pub inactive: bool,
    /// The activity in words (days without login, recent, disabled).
    pub activity: String,
}

/// `GET /admin/revue-des-acces`: every account, its missions, roles and last login.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_review.html")]
pub struct AdminReviewPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Every account.
    pub lines: Vec<ReviewLine>,
    /// How many are flagged inactive.
    pub inactive_count: usize,
    /// The threshold, in days.
    pub inactive_days: i64,
    /// The yearly reviews recorded, newest first, already in words.
    pub reviews_done: Vec<String>,
    /// The organisations, for the record's form.
    pub organisations: Vec<Choice>,
    /// The record's form was refused: why.
    pub review_error: Option<String>,
    /// A record was just added.
    pub review_recorded: bool,
}

impl AdminReviewPage {
    /// The count at the top of the page.
    pub fn count_sentence(&self) -> String {
        self.lang
            .admin()
            .inactive_count(self.inactive_count, self.inactive_days)
    }
}

impl Layout for AdminReviewPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/revue-des-acces")
    }
    fn has_error(&self) -> bool {
        self.review_error.is_some()
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// One event of the audit trail page.
#[derive(Debug, Clone, Default)]
pub struct JournalLine {
    /// Sequence number in the chain.
    pub seq: i64,
    /// When (Paris time, to the second).
    pub at: String,
    /// Who (name and login, or the gateway itself).
    pub person: String,
    /// The person's organisation.
    pub organisation: String,
    /// The operation, in words.
    pub operation: String,
    /// The mission's name, if any.
    pub mission: String,
    /// The data concerned (file, account, organisation), if any.
    pub data: String,
    /// The outcome, in words.
    pub outcome: String,
    /// Whether the outcome was a success (others are shown in bold).
    pub success: bool,
    /// Source address.
    pub ip: String,
}

/// `GET /admin/journal`: the audit trail, filtered and paginated, newest first.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_journal.html")]
pub struct AdminJournalPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The page's path with its query, for the language switch.
    pub path: String,
    /// Mission filter.
    pub missions: Vec<Choice>,
    /// Person filter.
    pub people: Vec<Choice>,
    /// Operation filter.
    pub actions: Vec<Choice>,
    /// Outcome filter.
    pub outcomes: Vec<Choice>,
    /// Start date typed.
    pub from: String,
    /// End date typed.
    pub to: String,
    /// Error tied to the start date.
    pub from_error: Option<String>,
    /// Error tied to the end date.
    pub to_error: Option<String>,
    /// The events of this page.
    pub events: Vec<JournalLine>,
    /// How many events match.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// How many pages.
    pub pages: i64,
    /// Link to the previous page.
    pub previous_href: Option<String>,
    /// Link to the next page.
    pub next_href: Option<String>,
    /// Link to the CSV export of the filtered events.
    pub csv_href: String,
}

impl AdminJournalPage {
    /// "N events match the filters."
    pub fn count_sentence(&self) -> String {
        self.lang.admin().events_count(self.total)
    }

    /// "page P of N".
    pub fn page_sentence(&self) -> String {
        self.lang.admin().page_of(self.page, self.pages)
    }
}

impl Layout for AdminJournalPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.from_error.is_some() || self.to_error.is_some()
    }
}

/// One destroyed mission.
#[derive(Debug, Clone, Default)]
pub struct DestroyedMission {
    /// Opaque id, for the certificate links.
    pub id: String,
    /// Name.
    pub name: String,
    /// Controller organisation.
    pub controller: String,
    /// When it was destroyed (Paris time).
    pub destroyed_at: String,
}

/// `GET /admin/certificats`: destroyed missions and their certificates.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_certificates.html")]
pub struct AdminCertificatesPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The destroyed missions, most recent first.
    pub missions: Vec<DestroyedMission>,
}

impl Layout for AdminCertificatesPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/certificats")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// One mission of the administrators' list.
#[derive(Debug, Clone, Default)]
pub struct AdminMission {
    /// Opaque id, for the link to the mission page.
    pub id: String,
    /// Name.
    pub name: String,
    /// Controller organisation.
    pub controller: String,
    /// Status, in words.
    pub status: String,
    /// End (Paris time).
    pub ends_at: String,
    /// Retention of released results (Paris time) or « non conservés ».
    pub retained_until: String,
    /// Still running: its dates may change (a link to them).
    pub running: bool,
}

/// `GET /admin/missions`: every mission.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_missions.html")]
pub struct AdminMissionsPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// A confirmation shown above the list (after a creation).
    pub notice: Option<String>,
    /// Every mission.
    pub missions: Vec<AdminMission>,
}

impl Layout for AdminMissionsPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/missions")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// `GET /admin/missions/nouvelle`: the mission creation form.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_new_mission.html")]
pub struct AdminNewMissionPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Name typed.
    pub name: String,
    /// Purpose typed.
    pub purpose: String,
    /// The organisations, the chosen controller selected.
    pub controllers: Vec<Choice>,
    /// End date typed.
    pub ends_at: String,
    /// Retention date typed.
    pub retained_until: String,
    /// The retention choice: `oui` (keep until the date), `non` (destroy at the end), or empty
    /// (not yet chosen: the form asks for an explicit choice).
    pub keep: String,
    /// Error tied to the retention choice.
    pub keep_error: Option<String>,
    /// Error tied to the name.
    pub name_error: Option<String>,
    /// Error tied to the purpose.
    pub purpose_error: Option<String>,
    /// Error tied to the controller.
    pub controller_error: Option<String>,
    /// Error tied to the end date.
    pub ends_error: Option<String>,
    /// Error tied to the retention date.
    pub retained_error: Option<String>,
    /// An error no single field explains, shown above the form.
    pub form_error: Option<String>,
}

impl Layout for AdminNewMissionPage {
    fn retour(&self) -> Option<&str> {
        Some("/admin/missions/nouvelle")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.name_error.is_some()
            || self.purpose_error.is_some()
            || self.controller_error.is_some()
            || self.ends_error.is_some()
            || self.retained_error.is_some()
            || self.keep_error.is_some()
            || self.form_error.is_some()
    }
}

#[cfg(test)]
mod tests;

//! Passerelle's web interface: templates and embedded static assets.
//!
//! The crate knows nothing of the gateway, its database or HTTP framework: it turns typed views
//! ([`pages`]) into HTML with askama (autoescaping on), holds every text in French and English
//! ([`i18n`]), decodes the forms those pages post ([`form`]) and embeds the static files
//! ([`static_asset`]).

#![forbid(unsafe_code)]

pub mod account_i18n;
pub mod account_pages;
pub mod admin_i18n;
pub mod admin_pages;
pub mod form;
pub mod glossary;
pub mod i18n;
pub mod incident_pages;
pub mod invite_i18n;
pub mod invite_pages;
pub mod life_i18n;
pub mod life_pages;
pub mod login_pages;
pub mod notify_pages;
pub mod ops_i18n;
pub mod ops_pages;
pub mod pages;
pub mod qr;
pub mod receipts;

pub use account_i18n::AccountStrings;
pub use account_pages::{
    AccountCodesPage, AccountEnrolPage, AccountPage, AccountPasskey, AccountPasskeyPage,
    AccountSession, ForgotPasswordPage, ResetPasswordPage,
};
pub use admin_i18n::AdminStrings;
pub use admin_pages::{
    AccountAction, AdminCertificatesPage, AdminConfirmPage, AdminIndexPage, AdminJournalPage,
    AdminMission, AdminMissionsPage, AdminNewMissionPage, AdminNewUserPage, AdminOrg,
    AdminOrganisationsPage, AdminPasswordPage, AdminReviewPage, AdminUser, AdminUsersPage, Choice,
    DestroyedMission, JournalLine, ReviewLine,
};
pub use askama::Template;
pub use i18n::{Lang, Strings};
pub use incident_pages::{
    AdminIncidentPage, AdminRegisterPage, IncidentReportPage, IncidentStrings, ReportField,
    ReportTable,
};
pub use invite_i18n::InviteStrings;
pub use invite_pages::{AdminInvitation, InvitationPage};
pub use life_i18n::LifeStrings;
pub use life_pages::{
    AdminOrgEditPage, AdminUserEditPage, ManageView, MissionClosePage, MissionDatesPage,
    MissionRolesPage, MissionStateView, RoleBox,
};
pub use notify_pages::{KindBox, NotificationsPage, NotifyStrings};
pub use ops_i18n::OpsStrings;
pub use ops_pages::{with_banner, AdminLockdownPage};
pub use pages::{
    CertificateFile, CertificatePage, ChangePasswordPage, CharterPage, EnrollKey, EnrollPage,
    ErrorPage, FileSort, FolderView, HomePage, Layout, LoginPage, MissionFile, MissionPage,
    MissionSummary, Participant, ParticipantsView, PrivacyNotice, RecoveryCodesPage, SignedOutPage,
    SortKey, TotpPage, UploadForm, Violation, FALLBACK_ERROR_HTML,
};
pub use receipts::{Receipt, ReceiptLine};

/// The embedded static files: name under `/static/`, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "passerelle.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/passerelle.css"),
    ),
    (
        "passerelle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/passerelle.js"),
    ),
    (
        "cles-acces.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/cles-acces.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../static/favicon.svg"),
    ),
];

/// A static asset by its name under `/static/`: its content type and bytes.
pub fn static_asset(path: &str) -> Option<(&'static str, &'static [u8])> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_embedded() {
        let (ct, css) = static_asset("passerelle.css").unwrap();
        assert_eq!(ct, "text/css; charset=utf-8");
        assert!(std::str::from_utf8(css).unwrap().contains(":focus-visible"));
        assert!(static_asset("favicon.svg").is_some());
        assert!(static_asset("../Cargo.toml").is_none());
        assert!(static_asset("").is_none());
    }

    #[test]
    fn css_loads_nothing_from_elsewhere() {
        let (_, css) = static_asset("passerelle.css").unwrap();
        let css = std::str::from_utf8(css).unwrap();
        assert!(!css.contains("url("));
        assert!(!css.contains("@import"));
    }
}

//! The pages of a mission's life: the manager's section and its pages (dates, closing), the
//! state of a suspended, ended or destroyed mission, a participant's roles, and the
//! administrators' edits of accounts and organisations.

use crate::admin_pages::Choice;
use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

/// The manager's section of the mission page (`mission_manage.html`), for those who may manage
/// a running mission.
#[derive(Debug, Clone, Default)]
pub struct ManageView {
    /// The mission is suspended: the section offers to resume it.
    pub suspended: bool,
    /// The retention date of released results, in words.
    pub retained_until: String,
}

/// What the mission page says of a mission that is not simply running
/// (`mission_state.html`): suspended, ended or destroyed.
#[derive(Debug, Clone, Default)]
pub struct MissionStateView {
    /// The section's heading.
    pub heading: String,
    /// What happened, when: one sentence each.
    pub lines: Vec<String>,
    /// The caller may read the destruction certificate (a link to it).
    pub certificate: bool,
    /// Suspended: the folders are closed until it resumes.
    pub suspended: bool,
}

/// `GET /missions/{id}/dates`: the end date (with a reason) and the retention of results.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "mission_dates.html")]
pub struct MissionDatesPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The page's own path.
    pub path: String,
    /// The mission's id.
    pub mission_id: String,
    /// The mission's name.
    pub mission_name: String,
    /// The current end, in words.
    pub ends_at: String,
    /// The furthest end date allowed, in words.
    pub max_ends: String,
    /// The end date typed, given back after an error.
    pub new_end: String,
    /// The reason typed.
    pub reason: String,
    /// Error tied to the end date.
    pub end_error: Option<String>,
    /// Error tied to the reason.
    pub reason_error: Option<String>,
    /// The current retention, in words.
    pub retained: String,
    /// The furthest retention date allowed, in words.
    pub max_retained: String,
    /// `oui` (keep until a date), `non` (keep nothing) or empty (not chosen).
    pub keep: String,
    /// The retention date typed.
    pub new_retained: String,
    /// Error tied to the retention choice or date.
    pub retained_error: Option<String>,
}

impl Layout for MissionDatesPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.end_error.is_some() || self.reason_error.is_some() || self.retained_error.is_some()
    }
}

/// `GET /missions/{id}/cloture`: what closing destroys and keeps, and the button.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "mission_close.html")]
pub struct MissionClosePage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The page's own path, also where the form posts.
    pub path: String,
    /// The mission's id.
    pub mission_id: String,
    /// The mission's name.
    pub mission_name: String,
    /// What is destroyed at once, one sentence each.
    pub destroyed: Vec<String>,
    /// What is kept and until when.
    pub kept: Vec<String>,
    /// Without retention: the warning that the EPCI's results go too.
    pub no_retention: bool,
}

impl Layout for MissionClosePage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}

/// One role's box on the roles page.
#[derive(Debug, Clone, Default)]
pub struct RoleBox {
    /// The stored word (`manager`, …).
    pub value: String,
    /// Its name.
    pub label: String,
    /// Ticked.
    pub ticked: bool,
}

/// `GET /missions/{id}/participants/{user_id}/roles`: a participant's roles as boxes.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "mission_roles.html")]
pub struct MissionRolesPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The page's own path, also where the form posts.
    pub path: String,
    /// The mission's id.
    pub mission_id: String,
    /// The mission's name.
    pub mission_name: String,
    /// The participant's name.
    pub person: String,
    /// The participant's organisation.
    pub organisation: String,
    /// The four roles.
    pub roles: Vec<RoleBox>,
    /// Refusal of the last change.
    pub error: Option<String>,
}

impl Layout for MissionRolesPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.error.is_some()
    }
}

/// `GET /admin/utilisateurs/{id}`: an account's name, e-mail and organisation.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_user_edit.html")]
pub struct AdminUserEditPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The page's own path, also where the form posts.
    pub path: String,
    /// The login name (not editable).
    pub username: String,
    /// The name typed.
    pub display_name: String,
    /// The e-mail typed.
    pub email: String,
    /// The organisations, the chosen one selected.
    pub organisations: Vec<Choice>,
    /// Error tied to the name.
    pub display_name_error: Option<String>,
    /// Error tied to the e-mail.
    pub email_error: Option<String>,
    /// Error tied to the organisation.
    pub organisation_error: Option<String>,
}

impl Layout for AdminUserEditPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.display_name_error.is_some()
            || self.email_error.is_some()
            || self.organisation_error.is_some()
    }
}

/// `GET /admin/organisations/{id}`: an organisation's name and kind.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "admin_org_edit.html")]
pub struct AdminOrgEditPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The page's own path, also where the form posts.
    pub path: String,
    /// The name typed.
    pub name: String,
    /// The kinds, the chosen one selected.
    pub kinds: Vec<Choice>,
    /// Error tied to the name.
    pub name_error: Option<String>,
    /// Error tied to the kind.
    pub kind_error: Option<String>,
}

impl Layout for AdminOrgEditPage {
    fn retour(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
    fn has_error(&self) -> bool {
        self.name_error.is_some() || self.kind_error.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::tests::common;
    use crate::pages::{MissionPage, MissionSummary};

    /// Every form posts the session's token.
    fn posts_carry_the_token(html: &str) {
        for (i, _) in html.match_indices("<form method=\"post\"") {
            let form = &html[i..i + html[i..].find("</form>").unwrap_or(html.len() - i)];
            assert!(
                form.contains("name=\"csrf_token\" value=\"jeton\""),
                "{form}"
            );
        }
    }

    fn check(html: &str, lang: Lang) {
        common(html, lang.code());
        posts_carry_the_token(html);
        assert!(!html.contains("<b>"), "unescaped in {html}");
    }

    #[test]
    fn the_pages_of_a_missions_life_render_in_both_languages() {
        for lang in [Lang::Fr, Lang::En] {
            let close = MissionClosePage {
                lang,
                csrf_token: "jeton".into(),
                path: "/missions/m1/cloture".into(),
                mission_id: "m1".into(),
                mission_name: "<b>OPS</b>".into(),
                destroyed: lang.close_destroys(2, 1, 3, 4, None),
                kept: lang.close_keeps(3, None),
                no_retention: true,
            };
            let html = close.render().unwrap();
            check(&html, lang);
            assert!(html.contains("id=\"cloturer\""));
            let dates = MissionDatesPage {
                lang,
                csrf_token: "jeton".into(),
                mission_id: "m1".into(),
                mission_name: "<b>OPS</b>".into(),
                keep: "non".into(),
                end_error: Some("x".into()),
                ..Default::default()
            };
            let html = dates.render().unwrap();
            check(&html, lang);
            assert!(html.contains("id=\"keep-non\" name=\"keep\" value=\"non\" checked"));
            assert!(html.contains("aria-describedby=\"ends_at-aide ends_at-erreur\""));
            let roles = MissionRolesPage {
                lang,
                csrf_token: "jeton".into(),
                path: "/missions/m1/participants/u1/roles".into(),
                person: "<b>Inès</b>".into(),
                roles: vec![RoleBox {
                    value: "recipient".into(),
                    label: "destinataire".into(),
                    ticked: true,
                }],
                ..Default::default()
            };
            let html = roles.render().unwrap();
            check(&html, lang);
            assert!(html.contains("value=\"recipient\" checked"));
            for html in [
                AdminUserEditPage {
                    lang,
                    csrf_token: "jeton".into(),
                    display_name: "<b>Marie</b>".into(),
                    ..Default::default()
                }
                .render()
                .unwrap(),
                AdminOrgEditPage {
                    lang,
                    csrf_token: "jeton".into(),
                    name: "<b>Habitat</b>".into(),
                    ..Default::default()
                }
                .render()
                .unwrap(),
            ] {
                check(&html, lang);
            }
        }
    }

    #[test]
    fn the_mission_page_shows_the_manager_section_and_the_state() {
        let page = MissionPage {
            lang: Lang::Fr,
            csrf_token: "jeton".into(),
            mission: MissionSummary {
                id: "m1".into(),
                name: "OPS".into(),
                ..Default::default()
            },
            manage: Some(ManageView {
                suspended: true,
                retained_until: "30/06/2027".into(),
            }),
            state: Some(MissionStateView {
                heading: "Mission suspendue".into(),
                lines: vec!["<b>ligne</b>".into()],
                suspended: true,
                certificate: false,
            }),
            ..Default::default()
        };
        let html = page.render().unwrap();
        check(&html, Lang::Fr);
        assert!(html.contains("action=\"/missions/m1/reprise\""));
        assert!(html.contains("href=\"/missions/m1/cloture\""));
        assert!(
            !html.contains("id=\"resultats\""),
            "no folders while suspended"
        );
        let ended = MissionPage {
            manage: None,
            state: Some(MissionStateView {
                heading: "Mission détruite".into(),
                certificate: true,
                ..Default::default()
            }),
            destroyed: true,
            ..page
        };
        let html = ended.render().unwrap();
        check(&html, Lang::Fr);
        assert!(html.contains("href=\"/missions/m1/certificat\""));
        assert!(!html.contains("id=\"gestion\""));
        assert!(!html.contains("id=\"participants\""));
    }
}

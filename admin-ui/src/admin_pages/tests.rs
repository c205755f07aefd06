//! Rendering tests of the administration pages: structure, escaping, labels, no inline code.

use super::*;

/// [`crate::pages::tests::common`], signed in (the session's token in the page).
fn common(html: &str, lang: &str) {
    crate::pages::tests::common(html, lang);
    assert!(html.contains("<meta name=\"csrf-token\" content=\"jeton\">"));
}

/// Every `<form method="post">` carries the CSRF token.
fn posts_carry_the_token(html: &str) {
    for (i, _) in html.match_indices("<form method=\"post\"") {
        let form = &html[i..i + html[i..].find("</form>").unwrap()];
        assert!(
            form.contains("name=\"csrf_token\" value=\"jeton\""),
            "{form}"
        );
    }
}

fn escaped(html: &str, raw: &str) {
    assert!(!html.contains(raw), "{raw} left unescaped in {html}");
}

#[test]
fn home_links_administration_for_admins_only() {
    let admin = crate::pages::HomePage {
        lang: Lang::Fr,
        platform_admin: true,
        ..Default::default()
    }
    .render()
    .unwrap();
    assert!(
        admin.contains("<a href=\"/admin\">Administration</a>"),
        "{admin}"
    );
    let other = crate::pages::HomePage::default().render().unwrap();
    assert!(!other.contains("href=\"/admin\""), "{other}");
}

#[test]
fn index_links_every_section() {
    let html = AdminIndexPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        ..Default::default()
    }
    .render()
    .unwrap();
    common(&html, "fr");
    assert!(
        !html.contains("bandeau-alerte"),
        "no banner unless locked down"
    );
    for href in [
        "/admin/interruption",
        "/admin/organisations",
        "/admin/utilisateurs",
        "/admin/revue-des-acces",
        "/admin/journal",
        "/admin/certificats",
        "/admin/missions",
    ] {
        assert!(html.contains(&format!("href=\"{href}\"")), "{href}");
    }
    assert!(html.contains("<h1>Administration</h1>"));
}

#[test]
fn the_lockdown_banner_and_the_backup_failure_show_escaped() {
    let page = AdminIndexPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        backup_failure: Some("16/01/2027 à 02:30 — disque <plein>".into()),
        backup_success: None,
    };
    let banner = "Service interrompu pour raison de sécurité depuis le 15/01/2027 : <fuite>";
    let html = crate::with_banner(Some(banner.into()), || page.render()).unwrap();
    common(&html, "fr");
    assert!(html.contains("<p class=\"bandeau-alerte\" role=\"alert\">Service interrompu"));
    escaped(&html, "<fuite>");
    assert!(html.contains("La dernière sauvegarde programmée a échoué : 16/01/2027"));
    escaped(&html, "<plein>");
    // Outside `with_banner`, no banner.
    assert!(!page.render().unwrap().contains("bandeau-alerte"));
}

#[test]
fn organisations_form_ties_errors_and_escapes() {
    let page = AdminOrganisationsPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        organisations: vec![AdminOrg {
            id: "o1".to_owned(),
            name: "<b>Habitat</b>".to_owned(),
            kind: "bailleur social".to_owned(),
        }],
        name: "\"><script>".to_owned(),
        kinds: vec![
            Choice::new("bailleur", "bailleur social", "epci"),
            Choice::new("epci", "EPCI", "epci"),
        ],
        name_error: Some("Un organisme porte déjà ce nom.".to_owned()),
        ..Default::default()
    };
    let html = page.render().unwrap();
    common(&html, "fr");
    posts_carry_the_token(&html);
    escaped(&html, "<b>Habitat");
    assert!(html.contains("<title>Erreur : Organismes"), "{html}");
    assert!(html.contains("<caption>Organismes de la plateforme</caption>"));
    assert!(
        html.contains("<th scope=\"col\">Nom de l&#39;organisme</th>"),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"name-erreur\""));
    assert!(html.contains("id=\"name-erreur\""));
    assert!(html.contains("<label for=\"kind\">"));
    assert!(
        html.contains("<option value=\"epci\" selected>EPCI</option>"),
        "{html}"
    );
    assert!(html.contains("action=\"/admin/organisations\""));
}

#[test]
fn users_list_offers_actions_by_state() {
    let user = |id: &str, disabled: bool| AdminUser {
        id: id.to_owned(),
        username: format!("{id}.login"),
        display_name: "Marie <Curie>".to_owned(),
        organisation: "Habitat".to_owned(),
        state: if disabled { "désactivé" } else { "actif" }.to_owned(),
        platform_admin: !disabled,
        disabled,
        last_login: "jamais".to_owned(),
        can_invite: !disabled,
    };
    let html = AdminUsersPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        notice: Some("Le compte de X est désactivé.".to_owned()),
        users: vec![user("u1", false), user("u2", true)],
        invitations: vec![crate::AdminInvitation {
            user_id: "u3".to_owned(),
            username: "lea".to_owned(),
            display_name: "Léa".to_owned(),
            email: "lea@example.fr".to_owned(),
            sent_at: "07/12/2026 à 09:00".to_owned(),
            expires_at: "10/12/2026 à 09:00".to_owned(),
        }],
    }
    .render()
    .unwrap();
    common(&html, "fr");
    escaped(&html, "<Curie>");
    assert!(html.contains("href=\"/admin/utilisateurs/u1/desactiver\""));
    assert!(!html.contains("href=\"/admin/utilisateurs/u2/desactiver\""));
    assert!(html.contains("href=\"/admin/utilisateurs/u2/reinitialiser\""));
    assert!(html.contains("href=\"/admin/utilisateurs/nouveau\""));
    assert!(html.contains("<th scope=\"row\">u1.login</th>"), "{html}");
    assert!(html.contains("role=\"status\""));
    // Invitations: offered to a never-used account, and the pending one sent again or withdrawn.
    assert!(html.contains("action=\"/admin/utilisateurs/u1/invitation\""));
    assert!(!html.contains("action=\"/admin/utilisateurs/u2/invitation\""));
    assert!(html.contains("action=\"/admin/utilisateurs/u3/invitation\""));
    assert!(html.contains("action=\"/admin/utilisateurs/u3/invitation/retrait\""));
    assert!(html.contains("Invitations en attente"));
    assert!(html.contains("lea@example.fr"));
}

#[test]
fn the_invitation_page_is_a_plain_form_or_says_the_link_is_dead() {
    let live = crate::InvitationPage {
        lang: Lang::Fr,
        token: Some("abc_DEF-123".to_owned()),
        path: "/invitation?jeton=abc_DEF-123".to_owned(),
        display_name: "Léa <Martin>".to_owned(),
        username: "lea".to_owned(),
        version: "2027-01".to_owned(),
        paragraphs: vec!["Premier paragraphe.".to_owned()],
        charter_error: Some("Cochez la case.".to_owned()),
        ..Default::default()
    }
    .render()
    .unwrap();
    crate::pages::tests::common(&live, "fr");
    escaped(&live, "<Martin>");
    assert!(live.contains("<form method=\"post\" action=\"/invitation\""));
    assert!(live.contains("name=\"jeton\" value=\"abc_DEF-123\""));
    assert!(live.contains("name=\"version\" value=\"2027-01\""));
    assert!(
        live.contains("aria-describedby=\"accepte-erreur\""),
        "{live}"
    );
    assert!(live.contains("<title>Erreur"), "{live}");
    assert!(!live.contains("<script>"), "no inline script: {live}");
    let dead = crate::InvitationPage {
        lang: Lang::En,
        path: "/invitation".to_owned(),
        ..Default::default()
    }
    .render()
    .unwrap();
    assert!(!dead.contains("name=\"jeton\""));
    assert!(dead.contains("no longer valid"));
}

#[test]
fn new_user_form() {
    let page = AdminNewUserPage {
        lang: Lang::En,
        csrf_token: "jeton".to_owned(),
        username: "marie".to_owned(),
        organisations: vec![Choice::new("o1", "Habitat & Co", "o1")],
        email_error: Some("The e-mail address is not valid.".to_owned()),
        ..Default::default()
    };
    let html = page.render().unwrap();
    common(&html, "en");
    posts_carry_the_token(&html);
    assert!(html.contains("<title>Error: Create an account"), "{html}");
    assert!(html.contains("aria-describedby=\"email-erreur\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"username-aide\""),
        "{html}"
    );
    assert!(html.contains("value=\"marie\""));
    assert!(html.contains("<legend"), "{html}");
    assert!(html.contains("id=\"platform_admin-non\""));
    assert!(html.contains("value=\"non\" checked"), "{html}");
    assert!(html.contains("action=\"/admin/utilisateurs\""));
    for field in ["username", "display_name", "email", "organisation_id"] {
        assert!(
            html.contains(&format!("<label for=\"{field}\">")),
            "{field}"
        );
    }
}

#[test]
fn password_page_shows_the_password_once_without_language_switch() {
    let html = AdminPasswordPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        reset: false,
        display_name: "Marie".to_owned(),
        username: "marie".to_owned(),
        password: "abcd-efgh&ijkl".to_owned(),
        invitation: None,
    }
    .render()
    .unwrap();
    common(&html, "fr");
    assert!(html.contains("<h1>Compte créé</h1>"));
    assert!(html.contains("id=\"mot-de-passe-provisoire\""), "{html}");
    assert!(
        html.contains("abcd-efgh&#38;ijkl") || html.contains("abcd-efgh&amp;ijkl"),
        "{html}"
    );
    assert!(html.contains("ne sera plus jamais affiché"));
    assert!(html.contains("autre canal"));
    assert!(!html.contains("action=\"/langue\""));
    let reset = AdminPasswordPage {
        lang: Lang::En,
        csrf_token: "jeton".to_owned(),
        reset: true,
        ..Default::default()
    }
    .render()
    .unwrap();
    assert!(reset.contains("<h1>Account reset</h1>"));
}

#[test]
fn confirmation_pages() {
    let page = AdminConfirmPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        action: AccountAction::Disable,
        path: "/admin/utilisateurs/u1/desactiver".to_owned(),
        username: "marie".to_owned(),
        display_name: "Marie".to_owned(),
        own_account: true,
        ..Default::default()
    };
    let html = page.render().unwrap();
    common(&html, "fr");
    posts_carry_the_token(&html);
    assert!(html.contains("<h1>Désactiver un compte</h1>"));
    assert!(html.contains("action=\"/admin/utilisateurs/u1/desactiver\""));
    assert!(html.contains("votre propre compte"));
    assert!(html.contains("href=\"/admin/utilisateurs\""));
    let done = AdminConfirmPage {
        disabled: true,
        own_account: false,
        ..page.clone()
    }
    .render()
    .unwrap();
    assert!(!done.contains("<form method=\"post\""));
    assert!(done.contains("déjà désactivé"));
    let reset = AdminConfirmPage {
        action: AccountAction::Reset,
        path: "/admin/utilisateurs/u1/reinitialiser".to_owned(),
        disabled: true,
        ..page
    }
    .render()
    .unwrap();
    assert!(reset.contains("<h1>Réinitialiser un compte</h1>"));
    assert!(reset.contains("<form method=\"post\""));
}

#[test]
fn review_marks_inactive_accounts_in_text() {
    let line = |inactive: bool| ReviewLine {
        username: "marie".to_owned(),
        display_name: "Marie".to_owned(),
        organisation: "Habitat".to_owned(),
        state: "actif".to_owned(),
        platform_admin: false,
        missions: vec!["Étude <OPS> (en cours) : dépositaire".to_owned()],
        last_login: "15/01/2027 à 09:00".to_owned(),
        inactive,
        activity: "sans connexion depuis 120 jours".to_owned(),
    };
    let page = AdminReviewPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        lines: vec![line(true), line(false)],
        inactive_count: 1,
        inactive_days: 90,
        ..Default::default()
    };
    let html = page.render().unwrap();
    common(&html, "fr");
    escaped(&html, "<OPS>");
    assert!(html.contains("1 compte actif est sans connexion depuis 90 jours ou plus."));
    assert_eq!(html.matches("class=\"inactif\"").count(), 1, "{html}");
    assert_eq!(html.matches("Inactif :").count(), 1, "{html}");
    assert!(html.contains("<caption>"));
    assert!(html.contains("<th scope=\"row\">"));
    assert!(html.contains("href=\"/admin/revue-des-acces.csv\""));
}

#[test]
fn journal_filters_table_and_pages() {
    let page = AdminJournalPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        path: "/admin/journal?outcome=denied".to_owned(),
        missions: vec![Choice::new("m1", "Étude", "")],
        people: vec![Choice::new("u1", "Marie (marie)", "u1")],
        actions: vec![Choice::new("auth.login", "connexion", "")],
        outcomes: vec![Choice::new("denied", "refusé", "denied")],
        from: "32/01/2027".to_owned(),
        from_error: Some("Date illisible.".to_owned()),
        events: vec![JournalLine {
            seq: 7,
            at: "15/01/2027 à 09:00:00".to_owned(),
            person: "Marie (marie)".to_owned(),
            operation: "connexion".to_owned(),
            outcome: "refusé".to_owned(),
            data: "fichier <x>.csv".to_owned(),
            ..Default::default()
        }],
        total: 120,
        page: 2,
        pages: 3,
        previous_href: Some("/admin/journal?outcome=denied&page=1".to_owned()),
        next_href: Some("/admin/journal?outcome=denied&page=3".to_owned()),
        csv_href: "/admin/journal.csv?outcome=denied".to_owned(),
        ..Default::default()
    };
    let html = page.render().unwrap();
    common(&html, "fr");
    escaped(&html, "<x>.csv");
    assert!(
        html.contains("<form method=\"get\" action=\"/admin/journal\""),
        "{html}"
    );
    assert!(
        html.contains("aria-describedby=\"from-aide from-erreur\""),
        "{html}"
    );
    assert!(html.contains("<option value=\"u1\" selected>"), "{html}");
    assert!(html.contains("120 événements correspondent aux filtres."));
    assert!(html.contains("page 2 sur 3"));
    assert!(html.contains("rel=\"prev\""));
    assert!(html.contains("rel=\"next\""));
    assert!(html.contains("<th scope=\"row\">7</th>"), "{html}");
    assert!(html.contains("value=\"32/01/2027\""));
    assert!(html.contains("<title>Erreur : Journal"), "{html}");
    // A date in error exports nothing.
    assert!(!html.contains("journal.csv"), "{html}");
    let fixed = AdminJournalPage {
        from: String::new(),
        from_error: None,
        ..page
    }
    .render()
    .unwrap();
    assert!(
        fixed.contains("href=\"/admin/journal.csv?outcome=denied\""),
        "{fixed}"
    );
}

#[test]
fn certificates_link_both_forms() {
    let html = AdminCertificatesPage {
        lang: Lang::En,
        csrf_token: "jeton".to_owned(),
        missions: vec![DestroyedMission {
            id: "m1".to_owned(),
            name: "Study".to_owned(),
            controller: "Habitat".to_owned(),
            destroyed_at: "15/01/2027 at 09:00".to_owned(),
        }],
    }
    .render()
    .unwrap();
    common(&html, "en");
    assert!(html.contains("href=\"/missions/m1/certificat\""));
    assert!(html.contains("href=\"/api/v1/missions/m1/certificate\""));
    let empty = AdminCertificatesPage::default().render().unwrap();
    assert!(empty.contains("Aucune mission n&#39;a"), "{empty}");
}

#[test]
fn missions_pages() {
    let html = AdminMissionsPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        notice: None,
        missions: vec![AdminMission {
            id: "m1".to_owned(),
            name: "Étude".to_owned(),
            ..Default::default()
        }],
    }
    .render()
    .unwrap();
    common(&html, "fr");
    assert!(html.contains("href=\"/missions/m1\""));
    assert!(html.contains("href=\"/admin/missions/nouvelle\""));
    let form = AdminNewMissionPage {
        lang: Lang::Fr,
        csrf_token: "jeton".to_owned(),
        purpose: "<i>diagnostic</i>".to_owned(),
        ends_error: Some("La date de fin doit être dans le futur.".to_owned()),
        ..Default::default()
    }
    .render()
    .unwrap();
    common(&form, "fr");
    posts_carry_the_token(&form);
    escaped(&form, "<i>diagnostic");
    assert!(form.contains("<textarea id=\"purpose\""), "{form}");
    assert!(
        form.contains("aria-describedby=\"ends_at-aide ends_at-erreur\""),
        "{form}"
    );
    assert!(form.contains("action=\"/admin/missions\""));
}

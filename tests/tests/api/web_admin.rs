//! The platform administrators' pages, driven as a browser would (cookie sessions, forms posted
//! as `application/x-www-form-urlencoded`, redirects looked at one by one).
//!
//! Every HTML page is checked for the CSP header, the absence of inline scripts and styles, one
//! `<h1>` and the skip link; every action taken through the pages is checked in the audit trail
//! or through the API.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use passerelle_tests::prelude::*;
use reqwest::Client;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    non_admins_get_404_on_every_admin_page,
    admin_creates_an_organisation_and_an_account,
    disabling_ends_sessions_and_reset_shows_a_new_password,
    access_review_flags_accounts_inactive_for_90_days,
);

use passerelle_tests::pages::{between, csrf_of, get_with, post_form_with, web_sign_in_with, Page};

/// The shared web tests' checks of an HTML page, and one more: administration pages are never
/// cached.
pub(crate) fn never_cached(p: Page) -> Page {
    if p.header("content-type").starts_with("text/html") {
        assert_eq!(p.header("cache-control"), "no-store");
    }
    p
}

pub(crate) async fn read(r: reqwest::Response) -> Page {
    never_cached(passerelle_tests::pages::read(r).await)
}

pub(crate) async fn get(app: &TestApp, c: &Client, path: &str) -> Page {
    never_cached(get_with(app, c, path).await)
}

pub(crate) async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    never_cached(post_form_with(app, c, path, fields).await)
}

/// The table row holding `needle`.
pub(crate) fn row_of<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

/// The temporary password shown on a creation or reset page.
pub(crate) fn temporary_password(page: &Page) -> String {
    let code = between(&page.html, "id=\"mot-de-passe-provisoire\"", "</code>");
    code.split_once('>').unwrap().1.to_owned()
}

/// A later login through the pages with `c`'s cookie store: password, the TOTP code, and the
/// usage charter at the account's first sign-in.
pub(crate) async fn sign_in(app: &TestApp, c: &Client, account: &Account) {
    web_sign_in_with(app, c, account).await;
}

/// A second browser, with its own cookies.
pub(crate) fn browser(app: &TestApp) -> Client {
    client_for(&app.cert_pem, app.addr)
}

/// Every audit event, through the API.
pub(crate) async fn audit(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get_as(token, "/api/v1/audit").await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["events"]
        .as_array()
        .unwrap()
        .clone()
}

/// An account's id, through the API.
pub(crate) async fn user_id(app: &TestApp, token: &str, username: &str) -> String {
    let v: Value = app
        .get_as(token, "/api/v1/users")
        .await
        .json()
        .await
        .unwrap();
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The cells of one CSV line (`;`-separated, `"`-quoted).
pub(crate) fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (';', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// Every path of the administration, with an account id for the per-account pages.
pub(crate) fn admin_pages(id: &str) -> Vec<String> {
    [
        "/admin",
        "/admin/organisations",
        "/admin/utilisateurs",
        "/admin/utilisateurs/nouveau",
        "/admin/utilisateurs/{id}/desactiver",
        "/admin/utilisateurs/{id}/reinitialiser",
        "/admin/utilisateurs/{id}/reactiver",
        "/admin/utilisateurs/{id}",
        "/admin/revue-des-acces",
        "/admin/revue-des-acces.csv",
        "/admin/journal",
        "/admin/journal.csv",
        "/admin/certificats",
        "/admin/missions",
        "/admin/missions/nouvelle",
    ]
    .iter()
    .map(|p| p.replace("{id}", id))
    .collect()
}

async fn non_admins_get_404_on_every_admin_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;

    // Without a session: the login page, as for every signed-in page.
    let p = get(&app, &app.client, "/admin").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion");

    sign_in(&app, &app.client, &marie).await;
    let home = get(&app, &app.client, "/accueil").await;
    assert_eq!(home.status, 200);
    assert!(!home.html.contains("href=\"/admin\""), "{}", home.html);
    let csrf = csrf_of(&home);
    for path in admin_pages(&marie.id) {
        let p = get(&app, &app.client, &path).await;
        assert_eq!(p.status, 404, "GET {path}");
        p.assert_contains("Page introuvable");
    }
    for path in [
        "/admin/organisations".to_owned(),
        "/admin/utilisateurs".to_owned(),
        format!("/admin/utilisateurs/{}/desactiver", marie.id),
        format!("/admin/utilisateurs/{}/reinitialiser", marie.id),
        format!("/admin/utilisateurs/{}/reactiver", marie.id),
        format!("/admin/utilisateurs/{}", marie.id),
        format!("/admin/organisations/{org}"),
        "/admin/missions".to_owned(),
    ] {
        let p = post_form(
            &app,
            &app.client,
            &path,
            &[("csrf_token", &csrf), ("name", "Intrus"), ("kind", "other")],
        )
        .await;
        assert_eq!(p.status, 404, "POST {path}");
    }
    // Nothing happened: marie's session still works and no organisation was added.
    assert_eq!(get(&app, &app.client, "/accueil").await.status, 200);
    let orgs: Value = app
        .get_as(&admin.token, "/api/v1/organisations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orgs["organisations"].as_array().unwrap().len(), 2);

    // The administrator's home links to the administration.
    let c = browser(&app);
    sign_in(&app, &c, &admin).await;
    let home = get(&app, &c, "/accueil").await;
    home.assert_contains("<a href=\"/admin\">Administration</a>");
    let p = get(&app, &c, "/admin").await;
    assert_eq!(p.status, 200);
    p.assert_contains("<h1>Administration</h1>");
    for section in [
        "/admin/organisations",
        "/admin/utilisateurs",
        "/admin/revue-des-acces",
        "/admin/journal",
        "/admin/certificats",
        "/admin/missions",
    ] {
        p.assert_contains(&format!("href=\"{section}\""));
        assert_eq!(get(&app, &c, section).await.status, 200, "{section}");
    }
}

async fn admin_creates_an_organisation_and_an_account(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let c = app.client.clone();
    sign_in(&app, &c, &admin).await;

    let p = get(&app, &c, "/admin/organisations").await;
    assert_eq!(p.status, 200);
    p.assert_contains(
        "<form method=\"post\" action=\"/admin/organisations\" id=\"creer-organisme\"",
    );
    p.assert_contains("<label for=\"name\">Nom de l&#39;organisme</label>");
    p.assert_contains("<option value=\"consultancy\">bureau d&#39;études</option>");
    let csrf = csrf_of(&p);

    // Empty fields: the form again, each error tied to its field.
    let p = post_form(
        &app,
        &c,
        "/admin/organisations",
        &[("csrf_token", &csrf), ("name", " "), ("kind", "")],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("<title>Erreur : Organismes");
    p.assert_contains("aria-describedby=\"name-erreur\"");
    p.assert_contains("id=\"name-erreur\"><span class=\"prefixe\">Erreur : </span>Saisissez le nom de l&#39;organisme.");
    p.assert_contains("aria-describedby=\"kind-erreur\"");

    let p = post_form(
        &app,
        &c,
        "/admin/organisations",
        &[
            ("csrf_token", &csrf),
            ("name", "Habitat Sud"),
            ("kind", "bailleur"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert!(
        p.location().starts_with("/admin/organisations?cree="),
        "{}",
        p.location()
    );
    let p = get(&app, &c, p.location()).await;
    p.assert_contains(
        "<p class=\"avis\" role=\"status\">L&#39;organisme « Habitat Sud » a été créé.</p>",
    );
    p.assert_contains("<tr><th scope=\"row\">Habitat Sud</th><td>bailleur social</td>");

    // The same name again: refused by the service, tied to the name field, typed values kept.
    let p = post_form(
        &app,
        &c,
        "/admin/organisations",
        &[
            ("csrf_token", &csrf),
            ("name", "Habitat Sud"),
            ("kind", "epci"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("Erreur : </span>Un organisme porte déjà ce nom.");
    p.assert_contains(
        "value=\"Habitat Sud\" aria-invalid=\"true\" aria-describedby=\"name-erreur\"",
    );
    p.assert_contains("<option value=\"epci\" selected>");

    // The account form lists the organisation.
    let orgs: Value = app
        .get_as(&admin.token, "/api/v1/organisations")
        .await
        .json()
        .await
        .unwrap();
    let org = orgs["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Habitat Sud")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = get(&app, &c, "/admin/utilisateurs/nouveau").await;
    assert_eq!(p.status, 200);
    p.assert_contains(&format!("<option value=\"{org}\">Habitat Sud</option>"));
    p.assert_contains("id=\"platform_admin-non\" name=\"platform_admin\" value=\"non\" checked");

    let p = post_form(
        &app,
        &c,
        "/admin/utilisateurs",
        &[
            ("csrf_token", &csrf),
            ("username", "Marie"),
            ("display_name", "Marie Curie"),
            ("email", "pas-une-adresse"),
            ("organisation_id", &org),
            ("platform_admin", "non"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"email-erreur\"><span class=\"prefixe\">Erreur : </span>L&#39;adresse électronique n&#39;est pas valide.");
    p.assert_contains("aria-describedby=\"email-erreur\"");
    p.assert_contains("value=\"Marie Curie\"");
    p.assert_contains(&format!("<option value=\"{org}\" selected>"));

    let p = post_form(
        &app,
        &c,
        "/admin/utilisateurs",
        &[
            ("csrf_token", &csrf),
            ("username", "Marie"),
            ("display_name", "Marie Curie"),
            ("email", "marie@habitat-sud.fr"),
            ("organisation_id", &org),
            ("platform_admin", "non"),
        ],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Compte créé</h1>");
    p.assert_contains("<code id=\"identifiant-cree\">marie</code>");
    p.assert_contains("ne sera plus jamais affiché");
    p.assert_contains("autre canal");
    assert!(!p.html.contains("action=\"/langue\""), "no language switch");
    let password = temporary_password(&p);
    assert!(password.len() >= 12, "{password}");

    // The password works once, at a first login, and is shown nowhere else.
    let id = user_id(&app, &admin.token, "marie").await;
    let marie = app.first_login(&id, "marie", &password).await;
    let p = get(&app, &c, "/admin/utilisateurs").await;
    assert!(!p.html.contains(&password));
    let row = row_of(&p.html, "<th scope=\"row\">marie</th>");
    assert!(
        row.contains("Marie Curie") && row.contains("Habitat Sud") && row.contains("actif"),
        "{row}"
    );
    assert!(
        row.contains("15/01/2027 à 09:0"),
        "last login in Paris time: {row}"
    );

    // The same username again.
    let p = post_form(
        &app,
        &c,
        "/admin/utilisateurs",
        &[
            ("csrf_token", &csrf),
            ("username", "marie"),
            ("display_name", "Autre Marie"),
            ("email", "autre@habitat-sud.fr"),
            ("organisation_id", &org),
            ("platform_admin", "non"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"username-erreur\"><span class=\"prefixe\">Erreur : </span>Cet identifiant est déjà pris.");

    // Both creations are in the audit trail as the API records them.
    let events = audit(&app, &admin.token).await;
    for action in ["organisation.create", "user.create"] {
        assert!(
            events.iter().any(|e| e["action"] == action
                && e["actor"] == admin.id.as_str()
                && e["outcome"] == "success"),
            "{action}"
        );
    }
    assert!(events
        .iter()
        .any(|e| e["action"] == "user.create" && e["target"] == marie.id.as_str()));
}

async fn disabling_ends_sessions_and_reset_shows_a_new_password(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let paul = app.user(&admin, "paul", &org).await;
    let c = app.client.clone();
    sign_in(&app, &c, &admin).await;
    let marie_browser = browser(&app);
    sign_in(&app, &marie_browser, &marie).await;

    let path = format!("/admin/utilisateurs/{}/desactiver", marie.id);
    let p = get(&app, &c, &path).await;
    assert_eq!(p.status, 200);
    p.assert_contains("<h1>Désactiver un compte</h1>");
    p.assert_contains(&format!(
        "<form method=\"post\" action=\"{path}\" id=\"confirmer\""
    ));
    p.assert_contains("Désactiver le compte</button>");
    p.assert_contains("<dd><code>marie</code></dd>");
    let csrf = csrf_of(&p);

    // Without the token: refused, nothing changes.
    let p = post_form(&app, &c, &path, &[]).await;
    assert_eq!(p.status, 403);
    assert_eq!(get(&app, &marie_browser, "/accueil").await.status, 200);

    let p = post_form(&app, &c, &path, &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.location(),
        format!("/admin/utilisateurs?desactive={}", marie.id)
    );
    let p = get(&app, &c, p.location()).await;
    p.assert_contains(
        "Le compte de marie Test est désactivé : ses sessions en cours ont été fermées.",
    );
    let row = row_of(&p.html, "<th scope=\"row\">marie</th>");
    assert!(row.contains("désactivé"), "{row}");
    assert!(!row.contains("/desactiver"), "no second disable: {row}");

    // Every session of marie ended at once: the web one and the bearer one.
    let p = get(&app, &marie_browser, "/accueil").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion?expire=1");
    assert_eq!(app.get_as(&marie.token, "/api/v1/me").await.status(), 401);
    let p = get(&app, &c, &path).await;
    p.assert_contains("Ce compte est déjà désactivé.");
    assert!(!p.html.contains("<form method=\"post\" action=\"/admin"));

    // Reset: a confirmation, then the new temporary password once.
    let path = format!("/admin/utilisateurs/{}/reinitialiser", paul.id);
    let p = get(&app, &c, &path).await;
    p.assert_contains("<h1>Réinitialiser un compte</h1>");
    let p = post_form(&app, &c, &path, &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 200);
    p.assert_contains("<h1>Compte réinitialisé</h1>");
    let password = temporary_password(&p);
    assert_eq!(app.get_as(&paul.token, "/api/v1/me").await.status(), 401);
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "paul", "password": paul.password}),
        )
        .await;
    assert_eq!(r.status(), 401, "the old password is gone");
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "paul", "password": password}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["step"], "change_password");

    let events = audit(&app, &admin.token).await;
    for (action, target) in [("user.disable", &marie.id), ("user.reset", &paul.id)] {
        assert!(
            events.iter().any(|e| e["action"] == action
                && e["target"] == target.as_str()
                && e["actor"] == admin.id.as_str()),
            "{action}"
        );
    }
    let p = get(&app, &c, "/admin/utilisateurs/inconnu/desactiver").await;
    assert_eq!(p.status, 404);
}

async fn access_review_flags_accounts_inactive_for_90_days(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let paul = app.user(&admin, "paul", &org).await;
    app.create_user(&admin, "nina", &org).await;
    let (zoe, _) = app.create_user(&admin, "zoe", &org).await;
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{zoe}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    use gateway::clock::Clock as _;
    let ends = gateway::clock::rfc3339(app.clock.now() + chrono::Duration::days(200));
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/missions",
            json!({"name": "Étude OPS 2027", "purpose": "Diagnostic",
                   "controller_organisation_id": org, "ends_at": ends}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mission = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (user, role) in [(&marie.id, "depositor"), (&marie.id, "manager")] {
        let r = app
            .post_as(
                &admin.token,
                &format!("/api/v1/missions/{mission}/participants"),
                json!({"user_id": user, "role": role}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }

    // 91 days later, paul and the administrator sign in again; marie and nina do not.
    app.clock.advance(chrono::Duration::days(91));
    app.login(&paul).await;
    let c = app.client.clone();
    sign_in(&app, &c, &admin).await;

    let p = get(&app, &c, "/admin/revue-des-acces").await;
    assert_eq!(p.status, 200);
    p.assert_contains("<h1>Revue des accès</h1>");
    p.assert_contains("2 comptes actifs sont sans connexion depuis 90 jours ou plus.");
    assert_eq!(
        p.html.matches("<tr class=\"inactif\">").count(),
        2,
        "{}",
        p.html
    );
    assert_eq!(p.html.matches("Inactif :").count(), 2);
    let row = row_of(&p.html, "(marie)");
    assert!(row.starts_with("<tr class=\"inactif\">"), "{row}");
    assert!(
        row.contains(
            "<strong class=\"marque-inactif\">Inactif :</strong> sans connexion depuis 91 jours"
        ),
        "{row}"
    );
    assert!(
        row.contains("Étude OPS 2027 (en cours) : dépositaire, responsable"),
        "{row}"
    );
    assert!(row.contains("15/01/2027 à 09:0"), "{row}");
    let row = row_of(&p.html, "(nina)");
    assert!(
        row.contains("jamais connecté, compte créé il y a 91 jours"),
        "{row}"
    );
    let row = row_of(&p.html, "(paul)");
    assert!(
        !row.contains("inactif") && row.contains("connexion récente"),
        "{row}"
    );
    assert!(row.contains("aucune mission"), "{row}");
    let row = row_of(&p.html, "(zoe)");
    assert!(
        !row.contains("Inactif") && row.contains("compte désactivé"),
        "{row}"
    );
    assert!(row_of(&p.html, "(admin)").contains("administrateur de la plateforme"));

    let p = get(&app, &c, "/admin/revue-des-acces.csv").await;
    assert_eq!(p.status, 200);
    assert_eq!(p.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        p.header("content-disposition")
            .starts_with("attachment; filename=\"revue-des-acces-2027-04-16"),
        "{}",
        p.header("content-disposition")
    );
    let lines: Vec<&str> = p.html.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "\u{feff}identifiant;nom;organisme;etat;administrateur_plateforme;missions_et_roles;derniere_connexion;jours_sans_connexion;inactif_90_jours"
    );
    // The header, five accounts, then the (empty) part of the yearly reviews recorded.
    assert_eq!(lines.len(), 1 + 5 + 1);
    assert_eq!(
        lines[6],
        "revue_faite_organisme;revue_faite_le;revue_faite_par;changements"
    );
    let mut marie_line = csv_cells(lines.iter().find(|l| l.starts_with("marie;")).unwrap());
    let last_login = marie_line.remove(6);
    assert!(last_login.starts_with("15/01/2027 09:0"), "{last_login}");
    assert_eq!(
        marie_line,
        [
            "marie",
            "marie Test",
            "Habitat Sud",
            "actif",
            "non",
            "Étude OPS 2027 (en cours) : dépositaire, responsable",
            "91",
            "oui"
        ]
    );
    let zoe_line = csv_cells(lines.iter().find(|l| l.starts_with("zoe;")).unwrap());
    assert_eq!(zoe_line[3], "désactivé");
    assert_eq!(zoe_line[8], "non");
}

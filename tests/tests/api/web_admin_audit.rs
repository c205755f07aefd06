//! The platform administrators' pages, continued: the audit trail (filters, pages, CSV export),
//! missions and their certificates, and posts without the CSRF token.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::web_admin::*;
use passerelle_tests::pages::{between, csrf_of};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    audit_trail_filters_pages_and_exports,
    admin_creates_a_mission_and_finds_its_certificate,
    posts_without_the_csrf_token_are_refused,
);

async fn audit_trail_filters_pages_and_exports(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie", "password": "pas le bon mot de passe"}),
        )
        .await;
    assert_eq!(r.status(), 401);

    // Two days later: more events, among them a person whose name a spreadsheet would run.
    app.clock.advance(chrono::Duration::days(2));
    let token = app.login(&admin).await;
    let c = app.client.clone();
    sign_in(&app, &c, &admin).await;
    let r = app
        .post_as(
            &token,
            "/api/v1/users",
            json!({"username": "eve", "display_name": "=SOMME(A1)", "email": "eve@example.fr",
                   "organisation_id": org}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "eve", "password": "mauvais mot de passe"}),
        )
        .await;
    assert_eq!(r.status(), 401);
    for i in 0..55 {
        let r = app
            .post_as(
                &token,
                "/api/v1/organisations",
                json!({"name": format!("Organisme {i:02}"), "kind": "other"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let total = audit(&app, &token).await.len();

    // Unfiltered: newest first, 50 a page.
    let p = get(&app, &c, "/admin/journal").await;
    assert_eq!(p.status, 200);
    p.assert_contains(&format!("{total} événements correspondent aux filtres."));
    p.assert_contains("<form method=\"get\" action=\"/admin/journal\" id=\"filtres-journal\"");
    let tbody = between(&p.html, "<tbody>", "</tbody>");
    assert_eq!(tbody.matches("<th scope=\"row\">").count(), 50);
    let first: i64 = between(tbody, "<th scope=\"row\">", "<").parse().unwrap();
    assert_eq!(first, total as i64, "the newest event comes first");
    p.assert_contains(&format!("page 1 sur {}", total.div_ceil(50)));
    p.assert_contains("rel=\"next\"");
    assert!(!p.html.contains("rel=\"prev\""));

    // Outcome and person filters.
    let p = get(&app, &c, "/admin/journal?outcome=failed").await;
    p.assert_contains("2 événements correspondent aux filtres.");
    p.assert_contains("<option value=\"failed\" selected>échec</option>");
    let tbody = between(&p.html, "<tbody>", "</tbody>");
    assert_eq!(tbody.matches("échec de connexion").count(), 2, "{tbody}");
    let p = get(
        &app,
        &c,
        &format!("/admin/journal?actor={}&outcome=failed", marie.id),
    )
    .await;
    p.assert_contains("1 événement correspond aux filtres.");
    let tbody = between(&p.html, "<tbody>", "</tbody>");
    assert!(tbody.contains("marie Test (marie)"), "{tbody}");
    let p = get(&app, &c, &format!("/admin/journal?actor={}", marie.id)).await;
    let tbody = between(&p.html, "<tbody>", "</tbody>");
    assert!(
        !tbody.contains("Admin Test (admin)"),
        "only marie's events: {tbody}"
    );

    // Action filter, across two pages.
    let p = get(&app, &c, "/admin/journal?action=organisation.create").await;
    p.assert_contains("56 événements correspondent aux filtres.");
    p.assert_contains("page 1 sur 2");
    let p = get(&app, &c, "/admin/journal?action=organisation.create&page=2").await;
    p.assert_contains("page 2 sur 2");
    p.assert_contains("rel=\"prev\"");
    let tbody = between(&p.html, "<tbody>", "</tbody>");
    assert_eq!(tbody.matches("<th scope=\"row\">").count(), 6);
    assert!(
        tbody.contains("Habitat Sud"),
        "the oldest creation last: {tbody}"
    );

    // Paris dates, both included.
    let p = get(&app, &c, "/admin/journal?to=15%2F01%2F2027&outcome=failed").await;
    p.assert_contains("1 événement correspond aux filtres.");
    let p = get(
        &app,
        &c,
        "/admin/journal?from=17/01/2027&action=organisation.create",
    )
    .await;
    p.assert_contains("55 événements correspondent aux filtres.");
    let p = get(&app, &c, "/admin/journal?from=16/01/2027&to=16/01/2027").await;
    p.assert_contains("0 événement correspond aux filtres.");
    p.assert_contains("Aucun événement ne correspond à ces filtres.");
    let p = get(&app, &c, "/admin/journal?from=31/02/2027").await;
    assert_eq!(p.status, 422);
    p.assert_contains("aria-describedby=\"from-aide from-erreur\"");
    p.assert_contains("Erreur : </span>Date illisible");
    let p = get(&app, &c, "/admin/journal?from=20/01/2027&to=17/01/2027").await;
    p.assert_contains("id=\"to-erreur\"");

    // The CSV export of the filtered events.
    let p = get(&app, &c, "/admin/journal.csv?outcome=failed").await;
    assert_eq!(p.status, 200);
    assert_eq!(p.header("content-type"), "text/csv; charset=utf-8");
    assert!(p
        .header("content-disposition")
        .starts_with("attachment; filename=\"journal-audit-"));
    let lines: Vec<&str> = p.html.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "\u{feff}numero;date;personne;organisme;adresse_ip;operation;code_operation;mission;donnees;resultat"
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
    let marie_line = csv_cells(lines[1]);
    assert_eq!(marie_line.len(), 10);
    assert!(
        marie_line[1].starts_with("15/01/2027 09:0"),
        "{marie_line:?}"
    );
    assert_eq!(marie_line[2], "marie Test (marie)");
    assert_eq!(marie_line[3], "Habitat Sud");
    assert_eq!(marie_line[5], "échec de connexion");
    assert_eq!(marie_line[6], "auth.login_failed");
    assert_eq!(marie_line[9], "échec");
    let eve_line = csv_cells(lines[2]);
    assert_eq!(eve_line[2], "'=SOMME(A1) (eve)", "formula neutralised");
    assert!(
        marie_line[0].parse::<i64>().unwrap() < eve_line[0].parse::<i64>().unwrap(),
        "oldest first"
    );

    let p = get(&app, &c, "/admin/journal.csv").await;
    let lines: Vec<&str> = p.html.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + total);
    for l in &lines[1..] {
        assert_eq!(csv_cells(l).len(), 10, "{l}");
    }
    assert_eq!(csv_cells(lines[1])[0], "1", "oldest first");
    let p = get(&app, &c, "/admin/journal.csv?to=nimporte").await;
    assert_eq!(p.status, 400);
}

async fn admin_creates_a_mission_and_finds_its_certificate(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let c = app.client.clone();
    sign_in(&app, &c, &admin).await;

    let p = get(&app, &c, "/admin/missions/nouvelle").await;
    assert_eq!(p.status, 200);
    let csrf = csrf_of(&p);
    let end = p.html.find("\">Habitat Sud</option>").unwrap();
    let org = p.html[..end].rsplit("value=\"").next().unwrap().to_owned();
    let p = post_form(&app, &c, "/admin/missions", &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 422);
    for field in ["name", "purpose", "controller_organisation_id", "ends_at"] {
        p.assert_contains(&format!("id=\"{field}-erreur\""));
    }
    assert!(!p.html.contains("id=\"results_retained_until-erreur\""));
    let p = post_form(
        &app,
        &c,
        "/admin/missions",
        &[
            ("csrf_token", &csrf),
            ("name", "Étude OPS 2027"),
            ("purpose", "Diagnostic de l'occupation du parc"),
            ("controller_organisation_id", &org),
            ("ends_at", "14/01/2027"),
            ("results_retained_until", "13/01/2027"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"ends_at-erreur\"><span class=\"prefixe\">Erreur : </span>La date de fin doit être dans le futur.");
    let p = post_form(
        &app,
        &c,
        "/admin/missions",
        &[
            ("csrf_token", &csrf),
            ("name", "Étude OPS 2027"),
            ("purpose", "Diagnostic de l'occupation du parc"),
            ("controller_organisation_id", &org),
            ("ends_at", "31/01/2027"),
            ("keep", "oui"),
            ("results_retained_until", "30/01/2027"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"results_retained_until-erreur\"");
    p.assert_contains("value=\"31/01/2027\"");
    let p = post_form(
        &app,
        &c,
        "/admin/missions",
        &[
            ("csrf_token", &csrf),
            ("name", "Étude OPS 2027"),
            ("purpose", "Diagnostic de l'occupation du parc"),
            ("controller_organisation_id", &org),
            ("ends_at", "31/01/2027"),
            ("keep", "non"),
            ("results_retained_until", ""),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let id = p
        .location()
        .strip_prefix("/admin/missions?creee=")
        .unwrap()
        .to_owned();
    let p = get(&app, &c, p.location()).await;
    p.assert_contains("La mission « Étude OPS 2027 » a été créée.");
    let row = row_of(&p.html, &format!("href=\"/missions/{id}\""));
    assert!(
        row.contains("31/01/2027 à 23:59") && row.contains("non conservés"),
        "{row}"
    );
    let m: Value = app
        .get_as(&admin.token, &format!("/api/v1/missions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["ends_at"], "2027-01-31T22:59:59Z");
    assert!(audit(&app, &admin.token)
        .await
        .iter()
        .any(|e| e["action"] == "mission.create" && e["mission_id"] == id.as_str()));

    let p = get(&app, &c, "/admin/certificats").await;
    p.assert_contains("Aucune mission n&#39;a encore été détruite.");
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let p = get(&app, &c, "/admin/certificats").await;
    let row = row_of(&p.html, "<th scope=\"row\">Étude OPS 2027</th>");
    assert!(
        row.contains("Habitat Sud") && row.contains("15/01/2027 à 09:0"),
        "{row}"
    );
    let printable = format!("/missions/{id}/certificat");
    assert!(row.contains(&format!("href=\"{printable}\"")), "{row}");
    assert!(
        row.contains(&format!("href=\"/api/v1/missions/{id}/certificate\"")),
        "{row}"
    );
    // The links work with the administrator's web session.
    let p = get(&app, &c, &printable).await;
    assert_eq!(p.status, 200);
    p.assert_contains("Certificat de destruction");
    let r = c
        .get(app.url(&format!("/api/v1/missions/{id}/certificate")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cert: Value = r.json().await.unwrap();
    gateway::service::certificate::verify(&cert, None).unwrap();
}

async fn posts_without_the_csrf_token_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let c = app.client.clone();
    sign_in(&app, &c, &admin).await;
    let csrf = csrf_of(&get(&app, &c, "/admin/organisations").await);
    let fields = [("name", "Habitat Sud"), ("kind", "bailleur")];
    for token in [None, Some("faux")] {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let p = post_form(&app, &c, "/admin/organisations", &form).await;
        assert_eq!(p.status, 403, "{token:?}");
        p.assert_contains("Jeton anti-falsification invalide : rechargez la page.");
    }
    // The right token from another site.
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &csrf));
    let p = read(
        c.post(app.url("/admin/organisations"))
            .header("origin", "https://evil.example")
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 403);
    let orgs: Value = app
        .get_as(&admin.token, "/api/v1/organisations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        orgs["organisations"].as_array().unwrap().len(),
        1,
        "only the operator's"
    );
    // The right token from our own origin goes through.
    let p = read(
        c.post(app.url("/admin/organisations"))
            .header("origin", app.base.as_str())
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 303);
}

//! The mission page's actions without script: upload (multipart form with its CSRF part),
//! release (and its refusal naming the cells), quarantine, deletion, participants, and the
//! session-status endpoint the page's script polls.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use passerelle_tests::pages::{between, csrf_of, get, post_form, read, web_sign_in, Page};
use passerelle_tests::prelude::*;
use reqwest::StatusCode;

passerelle_tests::on_every_backend!(
    results_uploaded_refused_and_released_from_the_page,
    refused_uploads_say_why_and_store_nothing,
    a_role_refusal_says_so_not_reload_the_page,
    quarantine_and_deletion_from_the_page,
    managers_add_and_remove_participants,
    session_status_does_not_count_as_activity,
);

/// Posts the page's upload form: the CSRF token part first, then the file.
async fn upload_form(
    app: &TestApp,
    mission: &str,
    folder: &str,
    csrf: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> Page {
    read(
        app.upload_through_page(mission, csrf, Upload::to(folder, name, bytes))
            .await,
    )
    .await
}

/// The file id in a `?depose=ID` redirect.
fn deposited_id(p: &Page, mission: &str) -> String {
    assert_eq!(p.status, 303, "{}", p.html);
    let prefix = format!("/missions/{mission}?depose=");
    p.location()
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{}", p.location()))
        .to_owned()
}

/// The files of a mission as `token`'s owner sees them through the API.
async fn listed(app: &TestApp, token: &str, mission: &str) -> Vec<String> {
    let r = app
        .get_as(token, &format!("/api/v1/missions/{mission}/files"))
        .await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A mission with a bailleur depositor, a consultancy processor (also manager) and an EPCI
/// recipient.
struct Cast {
    admin: Account,
    depositor: Account,
    analyst: Account,
    epci: Account,
    mission: String,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin("admin").await;
    let bailleur = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let bureau = app
        .organisation(&admin, "Études & Territoires", "consultancy")
        .await;
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let depositor = app.user(&admin, "marie", &bailleur).await;
    let analyst = app.user(&admin, "lucas", &bureau).await;
    let officer = app.user(&admin, "ines", &epci).await;
    let mission = app
        .create_mission_ending_in(&admin, "Étude OPS 2027", &bailleur, 30)
        .await;
    app.add_participant(&admin.token, &mission, &depositor.id, "depositor")
        .await;
    app.add_participant(&admin.token, &mission, &analyst.id, "processor")
        .await;
    app.add_participant(&admin.token, &mission, &analyst.id, "manager")
        .await;
    app.add_participant(&admin.token, &mission, &officer.id, "recipient")
        .await;
    Cast {
        admin,
        depositor,
        analyst,
        epci: officer,
        mission,
    }
}

async fn results_uploaded_refused_and_released_from_the_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    web_sign_in(&app, &c.analyst).await;
    let page = get(&app, &format!("/missions/{}", c.mission)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let csrf = csrf_of(&page);
    // A processor: the results form, with the API address for the script, and no deposit form.
    page.assert_contains(&format!("action=\"/missions/{}/resultats\"", c.mission));
    page.assert_contains(&format!(
        "data-api=\"/api/v1/missions/{}/results\"",
        c.mission
    ));
    assert!(!page.html.contains("/depots\""), "{}", page.html);
    page.assert_contains("<label for=\"fichier-results\">");

    // Results with small cells: uploaded, then refused at release with the cells named.
    let p = upload_form(
        &app,
        &c.mission,
        "resultats",
        Some(&csrf),
        "indicateurs_quartiers.csv",
        fixture("results_small_cells.csv"),
    )
    .await;
    let small = deposited_id(&p, &c.mission);
    let p = get(&app, p.location()).await;
    assert_eq!(p.status, 200);
    p.assert_contains("class=\"avis-succes\" role=\"status\"");
    p.assert_contains("indicateurs_quartiers.csv");

    let p = post_form(
        &app,
        &format!("/fichiers/{small}/diffusion"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 409, "{}", p.html);
    p.assert_contains(&format!("id=\"erreur-{small}\""));
    p.assert_contains("<table class=\"violations\" aria-labelledby=");
    p.assert_contains("nombre de 1 à 10 : secret statistique (seuil 11)");
    p.assert_contains("<title>Erreur :");
    // The rows are named by their label cells, the numbers written the French way, and no
    // sheet column for a CSV file.
    p.assert_contains("<td>Carvin · Centre</td>");
    p.assert_contains(">50,0</td>");
    assert!(!p.html.contains(">Feuille</th>"), "{}", p.html);
    p.assert_contains(&format!("href=\"/fichiers/{small}/cases-refusees.csv\""));
    // The list of refused cells, as CSV, for whoever sees the file.
    let r = app
        .client
        .get(app.url(&format!("/fichiers/{small}/cases-refusees.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(
        csv.contains("\"2\";\"Carvin · Centre\";\"nb_logements\";\"3\""),
        "{csv}"
    );
    // The export reads the file's cells: it is in the trail (reading metadata alone is not).
    let r = app
        .get_as(
            &c.admin.token,
            &format!("/api/v1/audit?mission_id={}", c.mission),
        )
        .await;
    let trail: serde_json::Value = r.json().await.unwrap();
    assert!(
        trail["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "file.inspect"
                && e["file_id"] == small.as_str()
                && e["outcome"] == "success"),
        "{trail}"
    );
    // The override needs a justification: refused without one, the message next to the file.
    let p = post_form(
        &app,
        &format!("/fichiers/{small}/diffusion"),
        &[
            ("csrf_token", &csrf),
            ("derogation", "1"),
            ("justification", ""),
        ],
    )
    .await;
    assert!(p.status.is_client_error(), "{} {}", p.status, p.html);
    p.assert_contains(&format!("id=\"erreur-{small}\""));

    // Good results: released, and the EPCI officer sees them, and only them.
    let p = upload_form(
        &app,
        &c.mission,
        "resultats",
        Some(&csrf),
        "indicateurs_communes.csv",
        fixture("results_ok.csv"),
    )
    .await;
    let good = deposited_id(&p, &c.mission);
    let p = post_form(
        &app,
        &format!("/fichiers/{good}/diffusion"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(
        p.location(),
        format!("/missions/{}?diffuse={good}", c.mission)
    );
    let p = get(&app, p.location()).await;
    p.assert_contains("class=\"avis-succes\" role=\"status\"");
    // The older refused result still lists its cells, but this page shows no error.
    p.assert_contains("<table class=\"violations\" aria-labelledby=");
    assert!(!p.html.contains("<title>Erreur"), "{}", p.html);
    assert_eq!(
        listed(&app, &c.epci.token, &c.mission).await,
        vec!["indicateurs_communes.csv".to_owned()]
    );

    // Without the page's token, nothing happens.
    let p = post_form(
        &app,
        &format!("/fichiers/{small}/diffusion"),
        &[("csrf_token", "faux")],
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    assert_eq!(listed(&app, &c.epci.token, &c.mission).await.len(), 1);

    // The EPCI officer's page: released results only, no upload form, no actions.
    web_sign_in(&app, &c.epci).await;
    let p = get(&app, &format!("/missions/{}", c.mission)).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("indicateurs_communes.csv");
    assert!(!p.html.contains("indicateurs_quartiers.csv"), "{}", p.html);
    assert!(!p.html.contains("class=\"depot\""), "{}", p.html);
    assert!(!p.html.contains("/diffusion\""), "{}", p.html);
    // Nor may it act by posting directly: the unreleased result does not exist for it.
    let csrf = csrf_of(&p);
    let p = post_form(
        &app,
        &format!("/fichiers/{small}/diffusion"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 404, "{}", p.html);
    // Nor read its refused cells: the same page not found as for a file that does not exist.
    let p = get(&app, &format!("/fichiers/{small}/cases-refusees.csv")).await;
    assert_eq!(p.status, 404, "{}", p.html);
    p.assert_contains("Page introuvable");
    let p = get(&app, &format!("/fichiers/{small}/contenu")).await;
    assert_eq!(p.status, 404, "{}", p.html);
    p.assert_contains("Page introuvable");
}

async fn refused_uploads_say_why_and_store_nothing(b: Backend) {
    let app = TestApp::spawn_with(b, |config| config.max_upload_bytes = 64 * 1024).await;
    let c = cast(&app).await;
    web_sign_in(&app, &c.depositor).await;
    let page = get(&app, &format!("/missions/{}", c.mission)).await;
    let csrf = csrf_of(&page);
    page.assert_contains("data-max-bytes=\"65536\"");

    // Wrong type: the page again, the message tied to the file field.
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some(&csrf),
        "rapport.exe",
        b"MZ\x90\x00".to_vec(),
    )
    .await;
    assert!(p.status.is_client_error(), "{}", p.status);
    let message = between(&p.html, "id=\"fichier-deposits-erreur\"", "</p>");
    assert!(!message.contains("hidden"), "{message}");
    assert!(message.contains("csv"), "{message}");
    p.assert_contains("aria-invalid=\"true\"");
    p.assert_contains("<title>Erreur :");

    // Too large.
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some(&csrf),
        "ops.csv",
        vec![b'1'; 200 * 1024],
    )
    .await;
    assert_eq!(p.status, 413, "{}", p.html);
    let message = between(&p.html, "id=\"fichier-deposits-erreur\"", "</p>");
    assert!(message.contains("(64 Ko)"), "{message}");

    // No token, or a wrong one: refused before the file is read.
    for token in [None, Some("faux")] {
        let p = upload_form(
            &app,
            &c.mission,
            "depots",
            token,
            "ops.csv",
            fixture("ops_habitat_henin.csv"),
        )
        .await;
        assert_eq!(p.status, 403, "{token:?}: {}", p.html);
    }

    // From another site (the browser says so): refused.
    let r = app
        .client
        .post(app.url(&format!("/missions/{}/depots", c.mission)))
        .header("sec-fetch-site", "cross-site")
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf_token", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(fixture("ops_habitat_henin.csv"))
                        .file_name("ops.csv"),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Into the results folder, as a depositor: that folder's form does not exist for it.
    let p = upload_form(
        &app,
        &c.mission,
        "resultats",
        Some(&csrf),
        "ops.csv",
        fixture("ops_habitat_henin.csv"),
    )
    .await;
    assert!(p.status.is_client_error(), "{}", p.status);

    assert!(listed(&app, &c.depositor.token, &c.mission)
        .await
        .is_empty());
    assert!(listed(&app, &c.analyst.token, &c.mission).await.is_empty());

    // And a good one goes through.
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some(&csrf),
        "ops_logis_carvin.csv",
        fixture("ops_logis_carvin_cp1252.csv")[..60_000].to_vec(),
    )
    .await;
    deposited_id(&p, &c.mission);
    assert_eq!(
        listed(&app, &c.analyst.token, &c.mission).await,
        vec!["ops_logis_carvin.csv".to_owned()]
    );
}

async fn a_role_refusal_says_so_not_reload_the_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    // A depositor posting into the results folder, with a good token: its role is refused, in
    // words that say so (not the anti-forgery "reload the page"), and nothing is stored.
    web_sign_in(&app, &c.depositor).await;
    let csrf = csrf_of(&get(&app, &format!("/missions/{}", c.mission)).await);
    let p = upload_form(
        &app,
        &c.mission,
        "resultats",
        Some(&csrf),
        "ops.csv",
        fixture("ops_habitat_henin.csv"),
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    p.assert_contains("Opération non permise");
    p.assert_contains("Votre rôle dans cette mission ne permet pas cette opération.");
    assert!(!p.html.contains("rechargez"), "{}", p.html);

    // A recipient has no deposit folder to post into either.
    web_sign_in(&app, &c.epci).await;
    let csrf = csrf_of(&get(&app, &format!("/missions/{}", c.mission)).await);
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some(&csrf),
        "ops.csv",
        fixture("ops_habitat_henin.csv"),
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    p.assert_contains("Votre rôle dans cette mission ne permet pas cette opération.");

    // The same refusal in English, and a wrong token still asks to reload the page.
    let p = post_form(&app, "/langue", &[("lang", "en"), ("retour", "/")]).await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some(&csrf),
        "ops.csv",
        fixture("ops_habitat_henin.csv"),
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    p.assert_contains("Your role in this mission does not allow this operation.");
    assert!(!p.html.contains("reload"), "{}", p.html);
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some("faux"),
        "ops.csv",
        fixture("ops_habitat_henin.csv"),
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    p.assert_contains("Invalid anti-forgery token: reload the page.");
    assert!(listed(&app, &c.analyst.token, &c.mission).await.is_empty());
}

async fn quarantine_and_deletion_from_the_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    web_sign_in(&app, &c.depositor).await;
    let page = get(&app, &format!("/missions/{}", c.mission)).await;
    let csrf = csrf_of(&page);

    // A file with names and social security numbers: held in quarantine, the findings shown.
    let p = upload_form(
        &app,
        &c.mission,
        "depots",
        Some(&csrf),
        "ops_identifiants.csv",
        fixture("ops_with_identifiers.csv"),
    )
    .await;
    let held = deposited_id(&p, &c.mission);
    let p = get(&app, &format!("/missions/{}", c.mission)).await;
    p.assert_contains("en quarantaine");
    p.assert_contains(&format!("action=\"/fichiers/{held}/confirmation\""));
    // The findings are a warning that says what to do.
    p.assert_contains("class=\"constats avis-attention\"");
    p.assert_contains("déposez-le à nouveau");
    assert!(listed(&app, &c.analyst.token, &c.mission).await.is_empty());

    // Letting it through takes a justification.
    let p = post_form(
        &app,
        &format!("/fichiers/{held}/confirmation"),
        &[("csrf_token", &csrf), ("justification", "")],
    )
    .await;
    assert!(p.status.is_client_error(), "{} {}", p.status, p.html);
    p.assert_contains(&format!("id=\"erreur-{held}\""));
    let p = post_form(
        &app,
        &format!("/fichiers/{held}/confirmation"),
        &[
            ("csrf_token", &csrf),
            (
                "justification",
                "Colonnes nom et prénom prévues par la convention",
            ),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(
        p.location(),
        format!("/missions/{}?transmis={held}", c.mission)
    );
    assert_eq!(
        listed(&app, &c.analyst.token, &c.mission).await,
        vec!["ops_identifiants.csv".to_owned()]
    );

    // Deleting it: gone for everyone, and the audit trail says who did it.
    let p = post_form(
        &app,
        &format!("/fichiers/{held}/suppression"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), format!("/missions/{}?supprime=1", c.mission));
    assert!(listed(&app, &c.analyst.token, &c.mission).await.is_empty());
    let r = app
        .get_as(
            &c.admin.token,
            &format!("/api/v1/audit?mission_id={}", c.mission),
        )
        .await;
    let events: serde_json::Value = r.json().await.unwrap();
    let deletion = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "file.delete")
        .expect("the deletion is in the audit trail");
    assert_eq!(deletion["actor"], c.depositor.id.as_str());
    assert_eq!(deletion["file_id"], held.as_str());
    assert_eq!(deletion["outcome"], "success");

    // Once gone, a second deletion finds nothing.
    let p = post_form(
        &app,
        &format!("/fichiers/{held}/suppression"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 404, "{}", p.html);
}

async fn managers_add_and_remove_participants(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    let bureau = app
        .organisation(&c.admin, "Cabinet Ouest", "consultancy")
        .await;
    let newcomer = app.user(&c.admin, "chloe", &bureau).await;
    let path = format!("/missions/{}", c.mission);

    // A depositor does not manage: no form, and posting is refused without effect.
    web_sign_in(&app, &c.depositor).await;
    let p = get(&app, &path).await;
    assert!(!p.html.contains("ajout-participant"), "{}", p.html);
    let csrf = csrf_of(&p);
    let p = post_form(
        &app,
        &format!("{path}/participants"),
        &[
            ("csrf_token", &csrf),
            ("username", "chloe"),
            ("role", "processor"),
        ],
    )
    .await;
    assert!(p.status.is_client_error(), "{} {}", p.status, p.html);
    assert_eq!(
        app.get_as(&newcomer.token, &format!("/api/v1/missions/{}", c.mission))
            .await
            .status(),
        404
    );

    // The manager: unknown account and missing role are explained, what was typed is kept.
    web_sign_in(&app, &c.analyst).await;
    let p = get(&app, &path).await;
    p.assert_contains("class=\"ajout-participant\"");
    let csrf = csrf_of(&p);
    let p = post_form(
        &app,
        &format!("{path}/participants"),
        &[
            ("csrf_token", &csrf),
            ("username", "personne"),
            ("role", "processor"),
        ],
    )
    .await;
    assert!(p.status.is_client_error(), "{} {}", p.status, p.html);
    p.assert_contains("Aucun compte actif ne porte cet identifiant.");
    p.assert_contains("value=\"personne\"");
    p.assert_contains("aria-describedby=\"participant-identifiant-aide participant-erreur\"");
    let p = post_form(
        &app,
        &format!("{path}/participants"),
        &[("csrf_token", &csrf), ("username", "chloe")],
    )
    .await;
    assert!(p.status.is_client_error(), "{} {}", p.status, p.html);
    p.assert_contains("Cochez au moins un rôle.");

    // Two roles at once.
    let p = post_form(
        &app,
        &format!("{path}/participants"),
        &[
            ("csrf_token", &csrf),
            ("username", "chloe"),
            ("role", "processor"),
            ("role", "recipient"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), format!("{path}?participant=ajoute"));
    let r = app
        .get_as(&newcomer.token, &format!("/api/v1/missions/{}", c.mission))
        .await;
    assert_eq!(r.status(), 200);
    let p = get(&app, &path).await;
    p.assert_contains("chloe");
    p.assert_contains(&format!("{path}/participants/{}/retrait", newcomer.id));

    // Removal takes effect at once.
    let p = post_form(
        &app,
        &format!("{path}/participants/{}/retrait", newcomer.id),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), format!("{path}?participant=retire"));
    let r = app
        .get_as(&newcomer.token, &format!("/api/v1/missions/{}", c.mission))
        .await;
    assert_eq!(r.status(), 404);
}

async fn session_status_does_not_count_as_activity(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    web_sign_in(&app, &c.depositor).await;
    let idle = chrono::Duration::seconds(30 * 60);
    let state = |path: &'static str| {
        let app = &app;
        async move {
            let r = app.client.get(app.url(path)).send().await.unwrap();
            let status = r.status();
            assert_eq!(r.headers()["cache-control"], "no-store");
            let v: serde_json::Value = r.json().await.unwrap();
            (status, v["restant"].as_i64().unwrap())
        }
    };
    // (The sign-in itself moved the clock on a little.)
    let (status, start) = state("/session/etat").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        start > idle.num_seconds() - 120 && start <= idle.num_seconds(),
        "{start}"
    );

    // Polling does not extend the session.
    app.clock.advance(chrono::Duration::minutes(26));
    assert_eq!(
        state("/session/etat").await,
        (StatusCode::OK, start - 26 * 60)
    );
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(
        state("/session/etat").await,
        (StatusCode::OK, start - 27 * 60)
    );

    // « Rester connecté » does.
    assert_eq!(
        state("/session/prolonger").await,
        (StatusCode::OK, idle.num_seconds())
    );
    app.clock.advance(idle + chrono::Duration::seconds(1));
    assert_eq!(state("/session/etat").await.0, 401);
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 303);
}

//! A mission's life through the web pages (managers suspend, resume, change the dates, close;
//! the ended mission keeps its page and its certificate for those who may still see it) and the
//! administrators' edits (re-enabling, accounts, organisations, one role at a time), with the
//! refusals of each and the audit trail they leave.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use passerelle_tests::pages::{csrf_of, get, post_form, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    managers_run_the_mission_from_its_page,
    closing_from_the_page_leaves_an_ended_page_and_a_certificate,
    the_certificate_says_expiry_when_nobody_closed,
    admins_enable_and_edit_accounts,
    admins_edit_organisations_under_the_role_rules,
    nobody_moves_themselves_nor_into_kept_results,
    roles_change_one_at_a_time,
    a_new_mission_asks_for_the_retention_choice,
);

/// A mission whose controller is a bailleur: a depositor of the bailleur, a consultancy
/// processor, an EPCI recipient, and a manager from an agency of its own (neither recipient nor
/// controller).
struct Cast {
    admin: Account,
    bailleur: String,
    bureau: String,
    epci_org: String,
    depositor: Account,
    processor: Account,
    recipient: Account,
    manager: Account,
    mission: String,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin("admin").await;
    let bailleur = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let bureau = app
        .organisation(&admin, "Études & Territoires", "consultancy")
        .await;
    let epci_org = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let agence = app
        .organisation(&admin, "Agence d'urbanisme", "other")
        .await;
    let depositor = app.user(&admin, "marie", &bailleur).await;
    let processor = app.user(&admin, "lucas", &bureau).await;
    let recipient = app.user(&admin, "ines", &epci_org).await;
    let manager = app
        .user_named(&admin, "paul", "Paul Lefèvre", &agence)
        .await;
    let mission = app
        .create_mission_ending_in(&admin, "Étude OPS 2027", &bailleur, 30)
        .await;
    for (who, role) in [
        (&depositor, "depositor"),
        (&processor, "processor"),
        (&recipient, "recipient"),
        (&manager, "manager"),
    ] {
        app.add_participant(&admin.token, &mission, &who.id, role)
            .await;
    }
    Cast {
        admin,
        bailleur,
        bureau,
        epci_org,
        depositor,
        processor,
        recipient,
        manager,
        mission,
    }
}

async fn mission_json(app: &TestApp, token: &str, mission: &str) -> Value {
    let r = app
        .get_as(token, &format!("/api/v1/missions/{mission}"))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The mission's audit events: (action, outcome, detail).
async fn audit(app: &TestApp, mission: Option<&str>) -> Vec<(String, String, Option<String>)> {
    gateway::db::audit::list(&app.core.db, mission, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.outcome, e.detail))
        .collect()
}

/// A deposit, a released result and an unreleased one.
async fn some_files(app: &TestApp, c: &Cast) -> String {
    id_of(
        &app.upload_deposit(
            &c.depositor.token,
            &c.mission,
            "ops.csv",
            "commune;nb\nA;12\n",
        )
        .await,
    );
    let released = id_of(
        &app.upload_result(
            &c.processor.token,
            &c.mission,
            "resultats_definitifs.csv",
            fixture("results_ok.csv"),
        )
        .await,
    );
    app.release(&c.processor.token, &released).await;
    id_of(
        &app.upload_result(
            &c.processor.token,
            &c.mission,
            "resultats_provisoires.csv",
            fixture("results_ok.csv"),
        )
        .await,
    );
    released
}

async fn managers_run_the_mission_from_its_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    let path = format!("/missions/{}", c.mission);

    // A depositor has no manager's section, and its posts change nothing.
    web_sign_in(&app, &c.depositor).await;
    let p = get(&app, &path).await;
    assert!(!p.html.contains("id=\"gestion\""), "{}", p.html);
    let csrf = csrf_of(&p);
    for action in ["suspension", "cloture", "dates/fin"] {
        let p = post_form(
            &app,
            &format!("{path}/{action}"),
            &[
                ("csrf_token", &csrf),
                ("ends_at", "28/02/2027"),
                ("reason", "x"),
            ],
        )
        .await;
        assert_eq!(p.status, 403, "{action}: {}", p.html);
    }
    assert_eq!(get(&app, &format!("{path}/cloture")).await.status, 403);
    let m = mission_json(&app, &c.admin.token, &c.mission).await;
    assert_eq!(m["status"], "active");

    // The manager suspends and resumes; the page says what suspension means.
    web_sign_in(&app, &c.manager).await;
    let p = get(&app, &path).await;
    p.assert_contains("id=\"gestion\"");
    let csrf = csrf_of(&p);
    // Without the CSRF token, nothing happens.
    let p = post_form(&app, &format!("{path}/suspension"), &[]).await;
    assert_eq!(p.status, 403);
    assert_eq!(
        mission_json(&app, &c.admin.token, &c.mission).await["status"],
        "active"
    );
    let p = post_form(
        &app,
        &format!("{path}/suspension"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), format!("{path}?gestion=suspendue"));
    assert_eq!(
        mission_json(&app, &c.admin.token, &c.mission).await["status"],
        "suspended"
    );
    let p = get(&app, p.location()).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mission suspendue");
    p.assert_contains("Reprendre la mission");
    // Everyone else sees the suspension too, instead of an error page.
    web_sign_in(&app, &c.depositor).await;
    let p = get(&app, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mission suspendue");
    web_sign_in(&app, &c.manager).await;
    let csrf = csrf_of(&get(&app, &path).await);
    let p = post_form(&app, &format!("{path}/reprise"), &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(
        mission_json(&app, &c.admin.token, &c.mission).await["status"],
        "active"
    );

    // The end date: a reason is required, the API's bound applies, then it moves.
    let dates = format!("{path}/dates");
    let p = get(&app, &dates).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Au plus tard le 13/02/2028.");
    let p = post_form(
        &app,
        &format!("{dates}/fin"),
        &[
            ("csrf_token", &csrf),
            ("ends_at", "28/02/2027"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("Indiquez le motif du changement.");
    p.assert_contains("value=\"28/02/2027\"");
    let p = post_form(
        &app,
        &format!("{dates}/fin"),
        &[
            ("csrf_token", &csrf),
            ("ends_at", "15/03/2028"),
            ("reason", "enquête prolongée"),
        ],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("365 jours après la date de fin initiale");
    let p = post_form(
        &app,
        &format!("{dates}/fin"),
        &[
            ("csrf_token", &csrf),
            ("ends_at", "28/02/2027"),
            ("reason", "enquête prolongée à la demande de l'EPCI"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), format!("{path}?gestion=dates"));
    let m = mission_json(&app, &c.admin.token, &c.mission).await;
    assert_eq!(m["ends_at"], "2027-02-28T22:59:59Z");

    // The retention: an explicit choice, bounded by `max_results_retention_days`.
    let p = post_form(
        &app,
        &format!("{dates}/conservation"),
        &[
            ("csrf_token", &csrf),
            ("keep", "oui"),
            ("results_retained_until", "01/01/2040"),
        ],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("3650 jours");
    let p = post_form(
        &app,
        &format!("{dates}/conservation"),
        &[("csrf_token", &csrf), ("results_retained_until", "")],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("Choisissez si les résultats");
    let p = post_form(
        &app,
        &format!("{dates}/conservation"),
        &[
            ("csrf_token", &csrf),
            ("keep", "oui"),
            ("results_retained_until", "31/12/2027"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let r = app
        .get_as(&c.admin.token, "/api/v1/missions")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r["missions"][0]["status"], "active");
    let stored = gateway::db::missions::get(&app.core.db, &c.mission)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.results_retained_until,
        Some(
            chrono::DateTime::parse_from_rfc3339("2027-12-31T22:59:59Z")
                .unwrap()
                .timestamp_millis()
        )
    );

    // Each change is in the audit trail exactly as through the API, the reason included.
    let events = audit(&app, Some(&c.mission)).await;
    let has =
        |action: &str, outcome: &str| events.iter().any(|(a, o, _)| a == action && o == outcome);
    assert!(has("mission.suspend", "success") && has("mission.resume", "success"));
    assert!(has("mission.suspend", "denied"), "the depositor's attempt");
    assert!(events.iter().any(|(a, o, d)| a == "mission.update"
        && o == "success"
        && d.as_deref()
            .unwrap_or_default()
            .contains("à la demande de l'EPCI")));
    assert!(events.iter().any(|(a, _, d)| a == "mission.update"
        && d.as_deref()
            .unwrap_or_default()
            .contains("results_retained_until")));
}

async fn closing_from_the_page_leaves_an_ended_page_and_a_certificate(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    let released = some_files(&app, &c).await;
    let path = format!("/missions/{}", c.mission);
    // A depositor of another bailleur (not the controller organisation).
    let nord = app.organisation(&c.admin, "Logis Nord", "bailleur").await;
    let jules = app.user(&c.admin, "jules", &nord).await;
    app.add_participant(&c.admin.token, &c.mission, &jules.id, "depositor")
        .await;
    let r = app
        .patch_as(
            &c.admin.token,
            &format!("/api/v1/{}", &path[1..]),
            json!({"results_retained_until": "2027-06-30T21:59:59Z"}),
        )
        .await;
    assert_eq!(r.status(), 200);

    // The confirmation states exactly what goes and what stays, until when.
    web_sign_in(&app, &c.manager).await;
    let p = get(&app, &format!("{path}/cloture")).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Tous les dépôts : 1 dépôt ");
    p.assert_contains("Les résultats non mis à disposition : 1 résultat.");
    p.assert_contains("Les accès des participants (5 participants)");
    p.assert_contains("Les résultats mis à disposition (1) restent consultables");
    p.assert_contains("30/06/2027");
    let csrf = csrf_of(&p);
    let p = post_form(&app, &format!("{path}/cloture"), &[("csrf_token", "faux")]).await;
    assert_eq!(p.status, 403);
    assert_eq!(
        mission_json(&app, &c.admin.token, &c.mission).await["status"],
        "active"
    );
    let p = post_form(&app, &format!("{path}/cloture"), &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), format!("{path}?gestion=cloturee"));
    assert_eq!(
        mission_json(&app, &c.admin.token, &c.mission).await["status"],
        "ended"
    );

    // The manager keeps the page (status, what was destroyed when, by whom), without files
    // and without actions; the API answers it the same.
    let p = get(&app, p.location()).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mission terminée");
    p.assert_contains("par Paul Lefèvre.");
    p.assert_contains("30/06/2027");
    assert!(!p.html.contains("id=\"gestion\""), "{}", p.html);
    assert!(!p.html.contains("/contenu"), "{}", p.html);
    let m = mission_json(&app, &c.manager.token, &c.mission).await;
    assert_eq!(m["status"], "ended");
    let p = get(&app, "/accueil").await;
    p.assert_contains("Missions terminées");
    p.assert_contains(&format!("href=\"{path}\""));
    // A second close is refused as through the API.
    let p = post_form(&app, &format!("{path}/cloture"), &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 409, "{}", p.html);
    // No certificate before the destruction.
    assert_eq!(get(&app, &format!("{path}/certificat")).await.status, 404);

    // The recipient reads and downloads the retained result.
    web_sign_in(&app, &c.recipient).await;
    let p = get(&app, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mission terminée");
    p.assert_contains(&format!("/fichiers/{released}/contenu"));
    assert!(!p.html.contains("resultats_provisoires"), "{}", p.html);
    assert_eq!(
        app.download(&c.recipient.token, &released).await,
        fixture("results_ok.csv")
    );

    // The other bailleur's depositor: the mission is gone for it, page and API alike.
    web_sign_in(&app, &jules).await;
    let p = get(&app, &path).await;
    assert_eq!(p.status, 404, "{}", p.html);
    p.assert_contains("Page introuvable");
    assert_eq!(
        app.get_as(&jules.token, &format!("/api/v1/{}", &path[1..]))
            .await
            .status(),
        404
    );
    assert!(!get(&app, "/accueil").await.html.contains(&c.mission));

    // The depositor (controller organisation) keeps read access too; the processor does not.
    web_sign_in(&app, &c.processor).await;
    assert_eq!(get(&app, &path).await.status, 404);
    assert_eq!(
        app.get_as(&c.processor.token, &format!("/api/v1/{}", &path[1..]))
            .await
            .status(),
        404
    );
    assert!(!get(&app, "/accueil").await.html.contains(&c.mission));

    // At the retention date everything goes; the certificate names who closed the mission.
    app.clock.advance(chrono::Duration::days(200));
    app.core.sweep().await.unwrap();
    let admin_token = app.login(&c.admin).await;
    assert_eq!(
        mission_json(&app, &admin_token, &c.mission).await["status"],
        "destroyed"
    );
    let cert: Value = app
        .get_as(
            &admin_token,
            &format!("/api/v1/missions/{}/certificate", c.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    gateway::service::certificate::verify(&cert, None).unwrap();
    assert_eq!(cert["payload"]["mission"]["closed_by"]["id"], c.manager.id);
    assert!(cert["payload"]["mission"]["closed_by"]["display_name"].is_string());

    // The manager: the page, and the certificate on the web with who closed it.
    web_sign_in(&app, &c.manager).await;
    let p = get(&app, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mission détruite");
    p.assert_contains(&format!("href=\"{path}/certificat\""));
    let p = get(&app, &format!("{path}/certificat")).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Certificat de destruction");
    p.assert_contains("Clôture par Paul Lefèvre");
    p.assert_contains("resultats_definitifs.csv");
    p.assert_contains(&format!("/api/v1/missions/{}/certificate", c.mission));
    // The controller organisation's depositor: the certificate (its home links it), no page.
    web_sign_in(&app, &c.depositor).await;
    assert_eq!(get(&app, &path).await.status, 404);
    let home = get(&app, "/accueil").await;
    home.assert_contains(&format!("href=\"{path}/certificat\""));
    assert_eq!(get(&app, &format!("{path}/certificat")).await.status, 200);
    // The recipient (not of the controller organisation): neither, now.
    web_sign_in(&app, &c.recipient).await;
    assert_eq!(get(&app, &path).await.status, 404);
    let p = get(&app, &format!("{path}/certificat")).await;
    assert_eq!(p.status, 404);
    p.assert_contains("Page introuvable");
    let events = audit(&app, Some(&c.mission)).await;
    assert!(events
        .iter()
        .any(|(a, o, _)| a == "mission.close" && o == "success"));
}

async fn the_certificate_says_expiry_when_nobody_closed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    app.clock.advance(chrono::Duration::days(31));
    app.core.sweep().await.unwrap();
    let token = app.login(&c.manager).await;
    let m = mission_json(&app, &token, &c.mission).await;
    assert_eq!(m["status"], "destroyed");
    let cert: Value = app
        .get_as(
            &token,
            &format!("/api/v1/missions/{}/certificate", c.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    gateway::service::certificate::verify(&cert, None).unwrap();
    assert!(cert["payload"]["mission"]["closed_by"].is_null());
    assert!(cert["payload"]["mission"]
        .as_object()
        .unwrap()
        .contains_key("closed_by"));
    web_sign_in(&app, &c.manager).await;
    let p = get(&app, &format!("/missions/{}", c.mission)).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Terminée à son échéance");
    let p = get(&app, &format!("/missions/{}/certificat", c.mission)).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Échéance : la date de fin de la mission est arrivée");
    // A certificate of the older shape (no `closed_by`) still verifies.
    let older = gateway::service::certificate::Signer::from_seed(&[3u8; 32]);
    let mut payload = cert["payload"].clone();
    payload["mission"]
        .as_object_mut()
        .unwrap()
        .remove("closed_by");
    payload["instance"]["public_key"] = json!(base64_of(older.public().as_bytes()));
    let doc = older.sign(payload).unwrap();
    gateway::service::certificate::verify(&doc, None).unwrap();
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn admins_enable_and_edit_accounts(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    let user = |id: &str| format!("/api/v1/users/{id}");

    // Only platform admins enable; an unknown account is 404.
    let r = app
        .post_as(
            &c.manager.token,
            &format!("{}/enable", user(&c.depositor.id)),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_as(&c.admin.token, "/api/v1/users/inconnu/enable", json!({}))
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .post_as(
            &c.admin.token,
            &format!("{}/disable", user(&c.depositor.id)),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie", "password": c.depositor.password}),
        )
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .post_as(
            &c.admin.token,
            &format!("{}/enable", user(&c.depositor.id)),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    // Same password, same second factor.
    app.login(&c.depositor).await;

    // Name and e-mail change; the organisation does not while roles in running missions remain.
    let r = app
        .patch_as(
            &c.admin.token,
            &user(&c.depositor.id),
            json!({"display_name": "Marie Durand", "email": "Marie.Durand@habitat-sud.fr"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["display_name"], "Marie Durand");
    assert_eq!(v["email"], "marie.durand@habitat-sud.fr");
    let r = app
        .patch_as(
            &c.admin.token,
            &user(&c.depositor.id),
            json!({"organisation_id": c.epci_org}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let r = app
        .patch_as(
            &c.admin.token,
            &user(&c.depositor.id),
            json!({"email": "pas-une-adresse"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .patch_as(&c.admin.token, &user(&c.depositor.id), json!({"role": "x"}))
        .await;
    assert_eq!(r.status(), 400, "unknown fields are refused");
    let r = app
        .patch_as(
            &c.manager.token,
            &user(&c.depositor.id),
            json!({"display_name": "X"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .delete_as(
            &c.admin.token,
            &format!(
                "/api/v1/missions/{}/participants/{}",
                c.mission, c.depositor.id
            ),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .patch_as(
            &c.admin.token,
            &user(&c.depositor.id),
            json!({"organisation_id": c.epci_org}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["organisation_id"], c.epci_org);

    // Through the pages: the list offers re-enabling a disabled account, with a confirmation.
    app.post_as(
        &c.admin.token,
        &format!("{}/disable", user(&c.recipient.id)),
        json!({}),
    )
    .await;
    web_sign_in(&app, &c.admin).await;
    let p = get(&app, "/admin/utilisateurs").await;
    p.assert_contains(&format!("/admin/utilisateurs/{}/reactiver", c.recipient.id));
    let p = get(
        &app,
        &format!("/admin/utilisateurs/{}/reactiver", c.recipient.id),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Réactiver le compte");
    let csrf = csrf_of(&p);
    let p = post_form(
        &app,
        &format!("/admin/utilisateurs/{}/reactiver", c.recipient.id),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    app.login(&c.recipient).await;
    // An active account is not offered the form.
    let p = get(
        &app,
        &format!("/admin/utilisateurs/{}/reactiver", c.recipient.id),
    )
    .await;
    assert!(!p.html.contains("id=\"confirmer\""), "{}", p.html);
    // The edit page: an error by its field, then the change.
    let edit = format!("/admin/utilisateurs/{}", c.processor.id);
    let p = get(&app, &edit).await;
    assert_eq!(p.status, 200, "{}", p.html);
    let p = post_form(
        &app,
        &edit,
        &[
            ("csrf_token", &csrf),
            ("display_name", "Lucas Martin"),
            ("email", "lucas@etudes.fr"),
            ("organisation_id", &c.bailleur),
        ],
    )
    .await;
    assert_eq!(p.status, 409, "{}", p.html);
    p.assert_contains("missions en cours");
    let p = post_form(
        &app,
        &edit,
        &[
            ("csrf_token", &csrf),
            ("display_name", "Lucas Martin"),
            ("email", "lucas@etudes.fr"),
            ("organisation_id", &c.bureau),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = get(&app, p.location()).await;
    p.assert_contains("Le compte de Lucas Martin a été modifié.");
    let events = audit(&app, None).await;
    for action in ["user.enable", "user.update"] {
        assert!(
            events.iter().any(|(a, o, _)| a == action && o == "success"),
            "{action}"
        );
    }
    assert!(events
        .iter()
        .any(|(a, o, _)| a == "user.update" && o == "denied"));
}

async fn admins_edit_organisations_under_the_role_rules(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    let org = |id: &str| format!("/api/v1/organisations/{id}");
    let r = app
        .patch_as(
            &c.admin.token,
            &org(&c.bailleur),
            json!({"name": "Habitat Sud Méditerranée"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["name"].as_str(), v["kind"].as_str()),
        (Some("Habitat Sud Méditerranée"), Some("bailleur"))
    );
    // The name of another organisation: 409. Not an admin: 403. Unknown: 404.
    let r = app
        .patch_as(
            &c.admin.token,
            &org(&c.bailleur),
            json!({"name": "CA Hénin-Carvin"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let r = app
        .patch_as(&c.manager.token, &org(&c.bailleur), json!({"name": "X"}))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .patch_as(&c.admin.token, &org("inconnu"), json!({"name": "X"}))
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .patch_as(
            &c.admin.token,
            &org(&c.bailleur),
            json!({"kind": "ministere"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    // An EPCI kind while its members hold raw-data roles: the rule, by name.
    let r = app
        .patch_as(&c.admin.token, &org(&c.bailleur), json!({"kind": "epci"}))
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("séparation"), "{v}");
    // Through the page, the same rule by the kind field.
    web_sign_in(&app, &c.admin).await;
    let path = format!("/admin/organisations/{}", c.bailleur);
    let p = get(&app, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    let csrf = csrf_of(&p);
    let p = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("name", "Habitat Sud"),
            ("kind", "epci"),
        ],
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    p.assert_contains("séparation des rôles");
    let p = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("name", "Habitat Sud"),
            ("kind", "other"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = get(&app, p.location()).await;
    p.assert_contains("« Habitat Sud » a été modifié.");
    let events = audit(&app, None).await;
    assert!(events
        .iter()
        .any(|(a, o, _)| a == "organisation.update" && o == "success"));
    assert!(events
        .iter()
        .any(|(a, o, _)| a == "organisation.update" && o == "denied"));
}

async fn roles_change_one_at_a_time(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    app.add_participant(&c.admin.token, &c.mission, &c.processor.id, "manager")
        .await;
    let role = |user: &str, role: &str| {
        format!(
            "/api/v1/missions/{}/participants/{user}/roles/{role}",
            c.mission
        )
    };
    // A depositor manages nothing; nobody takes their own role; an unheld role is 404.
    let r = app
        .delete_as(&c.depositor.token, &role(&c.processor.id, "manager"))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .delete_as(&c.processor.token, &role(&c.processor.id, "processor"))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .delete_as(&c.admin.token, &role(&c.processor.id, "recipient"))
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .delete_as(&c.admin.token, &role(&c.processor.id, "chef"))
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .delete_as(&c.manager.token, &role(&c.processor.id, "manager"))
        .await;
    assert_eq!(r.status(), 204);
    let m = mission_json(&app, &c.admin.token, &c.mission).await;
    let roles: Vec<&Value> = m["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["user_id"] == c.processor.id.as_str())
        .collect();
    assert_eq!(roles[0]["roles"], json!(["processor"]));

    // The page: boxes for the roles, the separation of duties refused by the service.
    web_sign_in(&app, &c.manager).await;
    let path = format!(
        "/missions/{}/participants/{}/roles",
        c.mission, c.recipient.id
    );
    let p = get(&app, &format!("/missions/{}", c.mission)).await;
    p.assert_contains(&format!("href=\"{path}\""));
    let p = get(&app, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    let csrf = csrf_of(&p);
    let p = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("role", "recipient"),
            ("role", "processor"),
        ],
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    p.assert_contains("séparation des rôles");
    let p = post_form(&app, &path, &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, 422, "{}", p.html);
    let p = post_form(&app, &path, &[("csrf_token", &csrf), ("role", "manager")]).await;
    assert_eq!(p.status, 303, "{}", p.html);
    let m = mission_json(&app, &c.admin.token, &c.mission).await;
    let ines = m["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == c.recipient.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(ines["roles"], json!(["manager"]));
    // Their own roles: refused.
    let own = format!(
        "/missions/{}/participants/{}/roles",
        c.mission, c.manager.id
    );
    let p = post_form(&app, &own, &[("csrf_token", &csrf), ("role", "recipient")]).await;
    assert_eq!(p.status, 403, "{}", p.html);
    let events = audit(&app, Some(&c.mission)).await;
    assert!(events
        .iter()
        .any(|(a, o, d)| a == "mission.participant_remove"
            && o == "success"
            && d.as_deref().unwrap_or_default().contains("recipient")));
}

async fn a_new_mission_asks_for_the_retention_choice(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    web_sign_in(&app, &c.admin).await;
    let p = get(&app, "/admin/missions/nouvelle").await;
    p.assert_contains("sont détruits dès la clôture de la mission");
    let csrf = csrf_of(&p);
    let fields = |keep: &'static str, until: &'static str| {
        vec![
            ("name", "Étude 2028"),
            ("purpose", "Diagnostic"),
            ("controller_organisation_id", c.bailleur.as_str()),
            ("ends_at", "30/06/2027"),
            ("keep", keep),
            ("results_retained_until", until),
        ]
    };
    let mut f = fields("", "");
    f.push(("csrf_token", csrf.as_str()));
    let p = post_form(&app, "/admin/missions", &f).await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("Choisissez si les résultats");
    let mut f = fields("oui", "");
    f.push(("csrf_token", csrf.as_str()));
    let p = post_form(&app, "/admin/missions", &f).await;
    assert_eq!(p.status, 422, "{}", p.html);
    let mut f = fields("non", "");
    f.push(("csrf_token", csrf.as_str()));
    let p = post_form(&app, "/admin/missions", &f).await;
    assert_eq!(p.status, 303, "{}", p.html);
    let mut f = fields("oui", "31/12/2027");
    f.push(("csrf_token", csrf.as_str()));
    let p = post_form(&app, "/admin/missions", &f).await;
    assert_eq!(p.status, 303, "{}", p.html);
    let listed = get(&app, "/admin/missions").await;
    listed.assert_contains("31/12/2027");
}

/// What a person may be granted, and what an ended mission still shows them, depend on their
/// organisation: an administrator moves neither themselves nor their own organisation's kind, and
/// nobody holding a role in an ended mission whose results are kept is moved into another
/// organisation (the controller's would open those results).
async fn nobody_moves_themselves_nor_into_kept_results(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = cast(&app).await;
    let users: Value = app
        .get_as(&c.admin.token, "/api/v1/users")
        .await
        .json()
        .await
        .unwrap();
    let own_org = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == c.admin.id.as_str())
        .unwrap()["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .patch_as(
            &c.admin.token,
            &format!("/api/v1/users/{}", c.admin.id),
            json!({"organisation_id": c.bureau}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .patch_as(
            &c.admin.token,
            &format!("/api/v1/organisations/{own_org}"),
            json!({"kind": "epci"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let denied = audit(&app, None).await;
    assert_eq!(
        denied
            .iter()
            .filter(|(_, o, d)| o == "denied"
                && d.as_deref()
                    .unwrap_or_default()
                    .contains("own_organisation"))
            .count(),
        2
    );

    // The mission ends with a released result kept: the processor keeps a role in it.
    let kept = {
        use gateway::clock::Clock as _;
        gateway::clock::rfc3339(app.clock.now() + chrono::Duration::days(90))
    };
    let r = app
        .patch_as(
            &c.admin.token,
            &format!("/api/v1/missions/{}", c.mission),
            json!({"results_retained_until": kept}),
        )
        .await;
    assert_eq!(r.status(), 200);
    some_files(&app, &c).await;
    let r = app
        .post_as(
            &c.admin.token,
            &format!("/api/v1/missions/{}/close", c.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        mission_json(&app, &c.admin.token, &c.mission).await["status"],
        "ended"
    );
    let r = app
        .patch_as(
            &c.admin.token,
            &format!("/api/v1/users/{}", c.processor.id),
            json!({"organisation_id": c.bailleur}),
        )
        .await;
    assert_eq!(
        r.status(),
        409,
        "the controller's organisation would open the kept results"
    );
}

//! Incident reports on a seeded audit trail (exact counts, filters, signature) and the platform
//! register of processing (its exact lines), with the injected clock.

use chrono::Duration;
use gateway::clock::Clock as _;
use gateway::domain::AuditAction;
use gateway::service::audit::{Event, Outcome};
use gateway::service::incident::{IncidentBundle, IncidentRequest};
use passerelle_tests::pages::{csrf_of, get, get_with, post_form, web_sign_in, web_sign_in_with};
use passerelle_tests::prelude::*;
use serde_json::Value;

passerelle_tests::on_every_backend!(
    the_incident_report_counts_what_a_window_touched,
    the_platform_register_has_a_line_per_mission
);

/// A deposit with direct identifiers: three people, named and with an e-mail address.
const WITH_IDENTIFIERS: &str = "nom;prenom;courriel;commune\r\nLEROY;Jean;jean.leroy@example.org;Hénin\r\nDUBOIS;Marie;marie.dubois@example.org;Carvin\r\nMARTIN;Luc;luc.martin@example.org;Lens\r\n";

/// Records one event at the clock's time.
async fn record(
    app: &TestApp,
    action: AuditAction,
    (who, org): (&Account, &str),
    ip: &str,
    (mission, file): (Option<&str>, Option<&str>),
    outcome: Outcome,
) {
    let event = Event {
        actor: Some(who.id.clone()),
        organisation_id: Some(org.to_owned()),
        ip: Some(ip.to_owned()),
        action,
        mission_id: mission.map(str::to_owned),
        file_id: file.map(str::to_owned),
        target: None,
        detail: None,
    };
    app.core.audit.record(event, outcome).await.unwrap();
    app.clock.advance(Duration::minutes(5));
}

fn report_json(bundle: &IncidentBundle) -> Value {
    serde_json::from_slice(bundle.file("rapport.json").unwrap()).unwrap()
}

fn csv_lines(bundle: &IncidentBundle, name: &str) -> Vec<Vec<String>> {
    let bytes = bundle
        .file(name)
        .unwrap_or_else(|| panic!("{name} missing"));
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'), "{name} starts with a BOM");
    parse_csv(text.trim_start_matches('\u{feff}'))
}

/// `(events, missions, files, organisations, accounts, addresses, sign-in lines)`.
fn counts(b: &IncidentBundle) -> (u64, usize, usize, usize, usize, usize, usize) {
    let f = &b.facts;
    (
        f.events,
        f.missions.len(),
        f.files.len(),
        f.organisations.len(),
        f.accounts.len(),
        f.addresses.len(),
        f.logins.len(),
    )
}

async fn the_incident_report_counts_what_a_window_touched(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let carvin = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let dep_b = app.user(&x.admin, "depot.carvin", &carvin).await;
    let m2 = app.create_mission(&x.admin, "OPS Carvin", &carvin).await;
    app.add_participant(&x.admin.token, &m2, &dep_b.id, "depositor")
        .await;
    app.add_participant(&x.admin.token, &m2, &x.processor.id, "processor")
        .await;
    let d1 = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", WITH_IDENTIFIERS)
        .await;
    let d1_size = d1["size"].as_u64().unwrap();
    let d1 = id_of(&d1);
    let d2 = app
        .upload_deposit(&dep_b.token, &m2, "carvin.csv", "commune;nb\r\nLens;12\r\n")
        .await;
    let d2_size = d2["size"].as_u64().unwrap();
    let d2 = id_of(&d2);

    // The window: one day, a day after the setup (its notifications sent and recorded); an event
    // just before and one just after.
    app.core.notifications_settled().await;
    app.clock.advance(Duration::days(1));
    let from = app.clock.now();
    let (ext, other, third) = ("203.0.113.5", "198.51.100.7", "192.0.2.1");
    app.clock.advance(Duration::minutes(-1));
    record(
        &app,
        AuditAction::Login,
        (&x.processor, &x.consultancy),
        ext,
        (None, None),
        Outcome::Success,
    )
    .await;
    app.clock.set(from);
    record(
        &app,
        AuditAction::Login,
        (&x.processor, &x.consultancy),
        ext,
        (None, None),
        Outcome::Success,
    )
    .await;
    record(
        &app,
        AuditAction::FileDownload,
        (&x.processor, &x.consultancy),
        ext,
        (Some(&x.mission), Some(&d1)),
        Outcome::Success,
    )
    .await;
    record(
        &app,
        AuditAction::FileDownload,
        (&x.processor, &x.consultancy),
        ext,
        (Some(&x.mission), Some(&d1)),
        Outcome::Success,
    )
    .await;
    record(
        &app,
        AuditAction::Login,
        (&x.depositor, &x.bailleur),
        ext,
        (None, None),
        Outcome::Success,
    )
    .await;
    record(
        &app,
        AuditAction::FileDownload,
        (&dep_b, &carvin),
        other,
        (Some(&m2), Some(&d2)),
        Outcome::Denied,
    )
    .await;
    record(
        &app,
        AuditAction::Login,
        (&x.recipient, &x.epci),
        third,
        (None, None),
        Outcome::Success,
    )
    .await;
    record(
        &app,
        AuditAction::MissionView,
        (&x.recipient, &x.epci),
        third,
        (Some(&x.mission), None),
        Outcome::Success,
    )
    .await;
    let to = from + Duration::days(1);
    app.clock.set(to);
    record(
        &app,
        AuditAction::FileDownload,
        (&x.processor, &x.consultancy),
        ext,
        (Some(&x.mission), Some(&d1)),
        Outcome::Success,
    )
    .await;
    app.clock.advance(Duration::hours(1));

    let req = IncidentRequest {
        from,
        to,
        ..Default::default()
    };
    let all = app.core.incident_report(None, &req).await.unwrap();
    // 7 events; missions OPS 2027 and OPS Carvin; files d1, d2; organisations: the two
    // controllers (EPCI, Carvin; Carvin also owns d2's folder), the folder owner Habitat Hénin
    // and the consultancy that acted;
    // accounts processor, depositor, dep_b, recipient; three addresses; sign-ins from those
    // three: processor, depositor (ext) and recipient (third).
    assert_eq!(counts(&all), (7, 2, 2, 4, 4, 3, 3));
    let orgs: Vec<&str> = all
        .facts
        .organisations
        .iter()
        .map(|o| o.organisation.name.as_str())
        .collect();
    assert_eq!(
        orgs,
        [
            "Cabinet Études Urbaines",
            "Communauté d'agglomération Hénin-Carvin",
            "Habitat Hénin",
            "Logis Carvin"
        ]
    );
    let summary = csv_lines(&all, "organismes_responsables.csv");
    assert_eq!(summary[0][0], "organisme_responsable");
    assert_eq!(summary.len(), 3, "{summary:?}");
    let epci = summary
        .iter()
        .find(|r| r[0] == "Communauté d'agglomération Hénin-Carvin")
        .unwrap();
    // One mission, one file (the deposit with three people), its size.
    assert_eq!(&epci[1..6], ["1", "1", &d1_size.to_string(), "1", "3"]);
    let carvin_line = summary.iter().find(|r| r[0] == "Logis Carvin").unwrap();
    assert_eq!(
        &carvin_line[1..6],
        ["1", "1", &d2_size.to_string(), "1", "0"]
    );
    let files = csv_lines(&all, "fichiers.csv");
    let d1_line = files.iter().find(|r| r[0] == "ops.csv").unwrap();
    assert_eq!(d1_line[1], "dépôts");
    assert_eq!(d1_line[3], "Communauté d'agglomération Hénin-Carvin");
    assert_eq!(d1_line[4], "Habitat Hénin");
    assert_eq!(d1_line[6], sha256_hex(WITH_IDENTIFIERS.as_bytes()));
    assert_eq!(d1_line[11], "analyste");
    assert_eq!(d1_line[12], ext);
    assert_eq!(&d1_line[13..16], ["2", "0", "0"]);
    assert_eq!(csv_lines(&all, "evenements.csv").len(), 8);
    let logins = csv_lines(&all, "connexions.csv");
    let who: Vec<(&str, &str)> = logins[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        who,
        [
            ("analyste", ext),
            ("depot.henin", ext),
            ("destinataire", third)
        ]
    );

    // The draft of the CNIL form: facts pre-filled, judgement left blank.
    let doc = report_json(&all);
    let draft = &doc["payload"]["cnil_draft"];
    let facts = draft["facts"].as_array().unwrap();
    assert_eq!(facts.len(), 7);
    assert!(
        facts[2][1]
            .as_str()
            .unwrap()
            .starts_with("Au moins 3 personne(s)"),
        "{}",
        facts[2][1]
    );
    assert!(draft["to_complete"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q[1] == ""));
    let html = std::str::from_utf8(all.file("rapport.html").unwrap()).unwrap();
    assert!(html.contains("Rapport d'incident") && html.contains("ops.csv"));
    assert!(!html.contains("<script"));

    // Filters: one account; one address; one mission; an account and an address together.
    let by = |accounts: &[&str], addresses: &[&str], missions: &[&str]| IncidentRequest {
        from,
        to,
        accounts: accounts.iter().map(|s| s.to_string()).collect(),
        addresses: addresses.iter().map(|s| s.to_string()).collect(),
        missions: missions.iter().map(|s| s.to_string()).collect(),
    };
    let processor = app
        .core
        .incident_report(None, &by(&["analyste"], &[], &[]))
        .await
        .unwrap();
    // 3 events, 1 mission, 1 file; organisations: EPCI (controller), Habitat Hénin (folder),
    // the consultancy; 1 account, 1 address; sign-ins from it: processor and depositor.
    assert_eq!(counts(&processor), (3, 1, 1, 3, 1, 1, 2));
    let address = app
        .core
        .incident_report(None, &by(&[], &[other], &[]))
        .await
        .unwrap();
    assert_eq!(counts(&address), (1, 1, 1, 1, 1, 1, 0));
    assert_eq!(address.facts.files[0].touches.outcomes.denied, 1);
    let mission = app
        .core
        .incident_report(None, &by(&[], &[], &["OPS 2027"]))
        .await
        .unwrap();
    assert_eq!(counts(&mission), (3, 1, 1, 3, 2, 2, 3));
    let both = app
        .core
        .incident_report(None, &by(&["depot.henin"], &[ext], &[]))
        .await
        .unwrap();
    assert_eq!(counts(&both), (1, 0, 0, 1, 1, 1, 2));
    let bad = app
        .core
        .incident_report(None, &by(&["personne"], &[], &[]))
        .await;
    assert!(bad.is_err());

    // The signature verifies with the instance's key, and fails when one byte changes.
    let key = app.core.signer.public();
    gateway::service::certificate::verify(&doc, Some(&key)).unwrap();
    let text = String::from_utf8(all.file("rapport.json").unwrap().to_vec()).unwrap();
    let altered = text.replacen("\"events\": 7", "\"events\": 6", 1);
    assert_ne!(altered, text);
    let altered: Value = serde_json::from_str(&altered).unwrap();
    assert!(gateway::service::certificate::verify(&altered, Some(&key)).is_err());
    // Offline, with the CSVs beside it: a changed byte in a CSV is caught too.
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &all.files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let file = dir.path().join("rapport.json");
    let said = gateway::cli_incident::verify(&doc, &file, None).unwrap();
    assert!(said.contains("8 CSV file(s) match"), "{said}");
    let csv = dir.path().join("fichiers.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 1;
    std::fs::write(&csv, bytes).unwrap();
    let err = gateway::cli_incident::verify(&doc, &file, None).unwrap_err();
    assert!(err.contains("fichiers.csv was altered"), "{err}");

    // Each generation is in the trail; someone who is not a platform administrator is refused.
    let trail = gateway::db::audit::list_entries(&app.core.db, None, 0, 10_000)
        .await
        .unwrap();
    let reports: Vec<_> = trail
        .iter()
        .filter(|e| e.action == AuditAction::IncidentReport)
        .collect();
    assert_eq!(reports.len(), 5, "five reports succeeded");
    assert!(reports.iter().all(|e| e.actor.is_none()));
    web_sign_in(&app, &x.admin).await;
    let form = get(&app, "/admin/incident").await;
    assert_eq!(form.status, 200);
    let csrf = csrf_of(&form);
    form.assert_contains("OPS Carvin");
    let fmt = |t: chrono::DateTime<chrono::Utc>| gateway::clock::rfc3339(t);
    let page = post_form(
        &app,
        "/admin/incident",
        &[
            ("csrf_token", &csrf),
            ("from", &fmt(from)),
            ("to", &fmt(to)),
            ("addresses", other),
            ("format", "page"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.assert_contains("carvin.csv");
    let zip = post_form(
        &app,
        "/admin/incident",
        &[
            ("csrf_token", &csrf),
            ("from", &fmt(from)),
            ("to", &fmt(to)),
            ("format", "zip"),
        ],
    )
    .await;
    assert_eq!(zip.status, 200);
    assert_eq!(zip.header("content-type"), "application/zip");
    let trail = gateway::db::audit::list_entries(&app.core.db, None, 0, 10_000)
        .await
        .unwrap();
    let by_admin = trail
        .iter()
        .filter(|e| {
            e.action == AuditAction::IncidentReport
                && e.actor.as_deref() == Some(x.admin.id.as_str())
        })
        .count();
    assert_eq!(by_admin, 2);
    let bad_date = post_form(
        &app,
        "/admin/incident",
        &[
            ("csrf_token", &csrf),
            ("from", "31/02/2027"),
            ("to", &fmt(to)),
            ("format", "page"),
        ],
    )
    .await;
    assert_eq!(bad_date.status, 422);
}

async fn the_platform_register_has_a_line_per_mission(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let carvin = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let dep_b = app.user(&x.admin, "depot.carvin", &carvin).await;
    // A mission of Logis Carvin that ends tomorrow without keeping results: destroyed by the sweep.
    let short = app
        .create_mission_ending_in(&x.admin, "Diagnostic Carvin", &carvin, 1)
        .await;
    app.add_participant(&x.admin.token, &short, &dep_b.id, "depositor")
        .await;
    app.add_participant(&x.admin.token, &short, &x.processor.id, "processor")
        .await;
    let quarantined = app
        .upload_deposit(&dep_b.token, &short, "carvin.csv", WITH_IDENTIFIERS)
        .await;
    assert_eq!(
        quarantined["checks"]["status"], "quarantined",
        "{quarantined}"
    );
    app.upload_deposit(&x.depositor.token, &x.mission, "ops.csv", WITH_IDENTIFIERS)
        .await;
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    app.core.sweep().await.unwrap();
    app.core.sweep().await.unwrap();
    let destroyed_at = app.clock.now();

    let csv = app.core.platform_register_csv(None).await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let lines = parse_csv(csv.trim_start_matches('\u{feff}'));
    // The test clock starts on 15/01/2027 at 08:00 UTC; in January Paris is UTC+1.
    assert!(destroyed_at > start_time() + Duration::days(1));
    let destroyed_paris = (destroyed_at + Duration::hours(1))
        .format("%d/%m/%Y %H:%M:%S")
        .to_string();
    let categories = "adresse électronique (colonnes « courriel ») ; nom (colonnes « nom ») ; prénom (colonnes « prenom »)";
    let storage =
        "aucun transfert hors de l'Espace économique européen ; stockage chiffré : local (FR)";
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert_eq!(
        lines[0].join(";"),
        "organisme_responsable;mission;finalite;categories_de_donnees;organismes_participants;conservation;destruction;certificat;transferts_et_stockage"
    );
    assert_eq!(
        lines[1],
        [
            "Communauté d'agglomération Hénin-Carvin".to_owned(),
            "OPS 2027 (en cours)".to_owned(),
            "Étude de l'occupation du parc social".to_owned(),
            categories.to_owned(),
            "Cabinet Études Urbaines (chargé d'études) ; Habitat Hénin (dépositaire)".to_owned(),
            "fin de la mission le 14/02/2027 ; résultats mis à disposition conservés jusqu'au 15/04/2027".to_owned(),
            "à la fin de la conservation (destruction automatique)".to_owned(),
            String::new(),
            storage.to_owned(),
        ]
    );
    assert_eq!(
        lines[2],
        [
            "Logis Carvin".to_owned(),
            "Diagnostic Carvin (détruite)".to_owned(),
            "Diagnostic de l'occupation du parc".to_owned(),
            categories.to_owned(),
            "Cabinet Études Urbaines (chargé d'études)".to_owned(),
            "fin de la mission le 16/01/2027 ; résultats non conservés au-delà".to_owned(),
            format!("détruite le {destroyed_paris}"),
            format!(
                "certificat {short} émis le {destroyed_paris} (/api/v1/missions/{short}/certificate)"
            ),
            storage.to_owned(),
        ]
    );

    // The page shows the same lines to a platform administrator, and the export is recorded.
    web_sign_in(&app, &x.admin).await;
    let page = get(&app, "/admin/registre").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Diagnostic Carvin (détruite)");
    let download = get(&app, "/admin/registre.csv").await;
    assert_eq!(download.status, 200);
    assert!(download.html.starts_with('\u{feff}'));
    let trail = gateway::db::audit::list_entries(&app.core.db, None, 0, 10_000)
        .await
        .unwrap();
    let exports = trail
        .iter()
        .filter(|e| e.action == AuditAction::PlatformRegister)
        .count();
    assert_eq!(exports, 3);
    // Nobody else: the depositor gets the 404 page.
    let c = reqwest_client_for(&app);
    web_sign_in_with(&app, &c, &x.depositor).await;
    assert_eq!(get_with(&app, &c, "/admin/registre").await.status, 404);
}

fn reqwest_client_for(app: &TestApp) -> reqwest::Client {
    client_for(&app.cert_pem, app.addr)
}
